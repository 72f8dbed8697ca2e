// Azurite (Microsoft's Azure Storage emulator, from npm): blob service with disk persistence.
import path from 'node:path';
import { spawnManaged, waitUntilReady, httpGet, type ManagedChild } from './child';
import { freePort, isListening, PortInUseError } from './ports';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from '../config';

export interface AzuriteService {
  blobUrl: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
  child?: ManagedChild;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  dataDir: string;
  /** 0 or undefined: a free port. */
  port?: number;
  reuse?: boolean;
  /** How often the whole blob index is saved (default 5 s); the journal keeps every write. */
  indexSaveMs?: number;
}

/** Azurite answers every request, even unauthenticated ones, with its Server header. */
export async function isAzurite(port: number): Promise<boolean> {
  const response = await httpGet(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}?comp=list`);
  return response?.headers.get('server')?.startsWith('Azurite-Blob') ?? false;
}

function describe(port: number, child?: ManagedChild): AzuriteService {
  const blobUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    blobUrl,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};` +
      `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobUrl};`,
    child,
    stop: async () => child?.stop(),
  };
}

export async function startAzurite(options: AzuriteOptions): Promise<AzuriteService> {
  const port = options.port || (await freePort());
  if (await isListening(port)) {
    if (options.reuse && (await isAzurite(port))) return describe(port);
    throw new PortInUseError(port, 'Azurite', 'AZURITE_BLOB_PORT');
  }
  const dir = path.join(options.dataDir, 'azurite');
  const child = spawnManaged({
    name: 'Azurite',
    command: process.execPath,
    args: [
      // Azurite itself, every acknowledged write journaled (see azurite-launcher.cjs).
      path.join(__dirname, 'azurite-launcher.cjs'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      dir,
      // Clients may send an x-ms-version newer than this Azurite knows.
      '--skipApiVersionCheck',
      // Otherwise it tries to reach an outside telemetry endpoint.
      '--disableTelemetry',
      '--silent',
    ],
    logFile: path.join(dir, 'azurite.log'),
    env: options.indexSaveMs
      ? { ...process.env, AZURITE_INDEX_SAVE_MS: String(options.indexSaveMs) }
      : undefined,
  });
  await waitUntilReady(child, () => isAzurite(port), 30_000);
  return describe(port, child);
}
