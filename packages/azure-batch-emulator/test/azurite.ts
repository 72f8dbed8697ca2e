// Azurite's blob service (the storage emulator from npm, a devDependency) for the tests whose
// tasks download resource files and upload output files: started on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './helpers';

/** Azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT_NAME = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteService {
  blobUrl: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function startAzurite(options: { dataDir: string }): Promise<AzuriteService> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      require.resolve('azurite/dist/src/blob/main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      join(options.dataDir, 'azurite'),
      // Clients may send an x-ms-version newer than this Azurite knows.
      '--skipApiVersionCheck',
      // Otherwise it tries to reach an outside telemetry endpoint.
      '--disableTelemetry',
      '--silent',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const blobUrl = `http://127.0.0.1:${port}/${ACCOUNT_NAME}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Azurite exited ${child.exitCode}: ${stderr}`);
    // Azurite answers every request, even an unauthenticated one, with its Server header.
    const server = await fetch(`${blobUrl}?comp=list`).then(
      (r) => r.headers.get('server'),
      () => null,
    );
    if (server?.startsWith('Azurite-Blob')) break;
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`Azurite did not answer on port ${port} within 30 s: ${stderr}`);
    }
    await sleep(100);
  }
  return {
    blobUrl,
    accountName: ACCOUNT_NAME,
    accountKey: ACCOUNT_KEY,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};` +
      `AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobUrl};`,
    stop: () => stop(child),
  };
}
