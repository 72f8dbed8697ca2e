// The whole local stack as a library: `npm run stack`, `npm start` and the tests all use it.
import fs from 'node:fs';
import path from 'node:path';
import { startAzurite, type AzuriteService } from './azurite';
import { startBatchEmulator, type BatchEmulatorService } from './batch-emulator';
import { startTemporal, type TemporalService } from './temporal';
import { freePort, PortInUseError } from './ports';
import type { StackConfig } from '../config';

export interface LocalStack {
  dataDir: string;
  temporal: TemporalService;
  azurite: AzuriteService;
  batch?: BatchEmulatorService;
  /** Stops every service this stack started (not the reused ones); safe to call twice. */
  stop(): Promise<void>;
  /** Environment variables that point the config module at this stack. */
  env: Record<string, string>;
}

export interface StartStackOptions extends StackConfig {
  /** Reuse healthy services already on the ports (a person's `npm run stack`). */
  reuse: boolean;
  /** Start the Batch emulator too (default true). */
  batch?: boolean;
  batchEnv?: NodeJS.ProcessEnv;
  onServiceReady?: (name: string, url: string) => void;
}

export async function startLocalStack(options: StartStackOptions): Promise<LocalStack> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  // The emulator lets its tasks (another user) pass through the data dir to their nodes; the
  // other services' state stays theirs alone.
  for (const own of ['temporal', 'azurite']) {
    fs.mkdirSync(path.join(options.dataDir, own), { recursive: true, mode: 0o700 });
  }
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    // Reverse order, all of them even if one fails.
    const results = await Promise.allSettled(started.reverse().map((s) => s.stop()));
    started.length = 0;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    const azuriteReady = startAzurite({
      dataDir: options.dataDir,
      port: options.ports.azurite,
      reuse: options.reuse,
    }).then((service) => {
      started.push(service);
      options.onServiceReady?.('Azurite blob', service.blobUrl);
      return service;
    });
    const [temporal, azurite, batch] = await Promise.all([
      startTemporal({
        dataDir: options.dataDir,
        port: options.ports.temporal,
        uiPort: options.ports.temporalUi,
        reuse: options.reuse,
      }).then((service) => {
        started.push(service);
        options.onServiceReady?.('Temporal', service.address);
        options.onServiceReady?.('Temporal Web UI', service.uiUrl);
        return service;
      }),
      azuriteReady,
      options.batch === false
        ? Promise.resolve(undefined)
        : // After Azurite: a restarted emulator resumes its tasks at once, and their downloads
          // must find the storage they read from.
          azuriteReady
            .then(() =>
              startBatchEmulator({
                dataDir: options.dataDir,
                port: options.ports.batch,
                reuse: options.reuse,
                env: options.batchEnv,
              }),
            )
            .then((service) => {
              started.push(service);
              options.onServiceReady?.(
                'Azure Batch emulator',
                `${service.url} (account ${service.accountName}, key ${service.accountKey})`,
              );
              return service;
            }),
    ]);
    const env: Record<string, string> = {
      DURABLE_BATCH_DATA_DIR: options.dataDir,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_PORT: temporal.address.split(':')[1],
      TEMPORAL_UI_PORT: new URL(temporal.uiUrl).port,
      AZURITE_BLOB_PORT: new URL(azurite.blobUrl).port,
    };
    if (batch) env.BATCH_EMULATOR_PORT = new URL(batch.url).port;
    return { dataDir: options.dataDir, temporal, azurite, batch, stop: stopAll, env };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** A stack on fresh free ports in its own data dir: for tests, never colliding with a person's. */
export async function startTestStack(
  dataDir: string,
  extra: Partial<StartStackOptions> = {},
): Promise<LocalStack> {
  // A free port can be taken by another process between the probe and the bind: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalStack({
        dataDir,
        ports: {
          temporal: await freePort(),
          temporalUi: await freePort(),
          azurite: await freePort(),
          batch: await freePort(),
        },
        reuse: false,
        ...extra,
      });
    } catch (err) {
      const raced =
        err instanceof PortInUseError || /address already in use|EADDRINUSE/.test(String(err));
      if (!raced || attempt >= 3) throw err;
    }
  }
}
