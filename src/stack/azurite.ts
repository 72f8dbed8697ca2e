// Azurite (Microsoft's Azure Storage emulator, from npm): blob service with disk persistence.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { spawnManaged, waitUntilReady, httpGet, type ManagedChild } from './child';
import { freePort, isListening, PortInUseError } from './ports';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from '../config';
import type { LoopbackCertificate } from './tls';

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
  /**
   * HTTPS with this certificate, and OAuth in Azurite's basic mode: bearer tokens are accepted
   * (Azurite checks their issuer, audience and lifetime, not their signature) beside the key.
   */
  tls?: LoopbackCertificate;
}

/** Azurite answers every request, even unauthenticated ones, with its Server header. */
export async function isAzurite(port: number): Promise<boolean> {
  const response = await httpGet(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}?comp=list`);
  return response?.headers.get('server')?.startsWith('Azurite-Blob') ?? false;
}

/** The same over HTTPS, trusting only the given certificate. */
function isAzuriteOverTls(port: number, tls: LoopbackCertificate): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(
      `https://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}?comp=list`,
      { ca: fs.readFileSync(tls.certFile), timeout: 1000 },
      (response) => {
        response.resume();
        resolve(String(response.headers.server ?? '').startsWith('Azurite-Blob'));
      },
    );
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}

function describe(port: number, child?: ManagedChild, tls?: LoopbackCertificate): AzuriteService {
  const scheme = tls ? 'https' : 'http';
  const blobUrl = `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    blobUrl,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    connectionString:
      `DefaultEndpointsProtocol=${scheme};AccountName=${AZURITE_ACCOUNT_NAME};` +
      `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobUrl};`,
    child,
    stop: async () => child?.stop(),
  };
}

export async function startAzurite(options: AzuriteOptions): Promise<AzuriteService> {
  const port = options.port || (await freePort());
  const { tls } = options;
  const probe = () => (tls ? isAzuriteOverTls(port, tls) : isAzurite(port));
  if (await isListening(port)) {
    if (options.reuse && (await probe())) return describe(port, undefined, tls);
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
      ...(tls ? ['--oauth', 'basic', '--cert', tls.certFile, '--key', tls.keyFile] : []),
    ],
    logFile: path.join(dir, 'azurite.log'),
    env: options.indexSaveMs
      ? { ...process.env, AZURITE_INDEX_SAVE_MS: String(options.indexSaveMs) }
      : undefined,
  });
  await waitUntilReady(child, probe, 30_000);
  return describe(port, child, tls);
}
