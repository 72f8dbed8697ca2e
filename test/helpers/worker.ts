// A real worker (the project's own createWorker) on a private task queue of the test stack.
import { after } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createWorkers } from '../../src/worker';
import { installLogging } from '../../src/logging';
import type { AppConfig } from '../../src/config';
import { dataConverter } from '../../src/payload-codec';

export interface TestWorker {
  config: AppConfig;
  client: Client;
  worker: Worker;
  taskQueue: string;
}

// Workers' own logs would drown the test report: keep warnings and errors only.
installLogging({ level: 'WARN' });

const running: Array<() => Promise<void>> = [];
after(async () => {
  for (const stop of running.splice(0)) await stop();
});

/** Starts a worker for the rest of the file; it is shut down when the file's tests end. */
export async function startTestWorker(
  base: AppConfig,
  name: string,
  options: { exactTaskQueue?: boolean } = {},
): Promise<TestWorker> {
  const taskQueue = options.exactTaskQueue
    ? base.temporal.taskQueue
    : `${name}-${process.pid}-${Date.now()}`;
  const config: AppConfig = { ...base, temporal: { ...base.temporal, taskQueue } };
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const connection = await Connection.connect({ address: config.temporal.address });
  // Both queues, as `npm run worker`: runs started by the CLI read their folder on this host's.
  const workers = await createWorkers(config, nativeConnection, { shutdownGraceTime: '2 seconds' });
  const worker = workers.shared;
  const run = workers.run();
  running.push(async () => {
    workers.shutdown();
    await run;
    await connection.close();
    await nativeConnection.close();
  });
  return { config, client: new Client({ connection, dataConverter }), worker, taskQueue };
}
