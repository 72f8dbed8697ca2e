// `npm run worker`: the Temporal worker that runs the transcode workflow and its activities.
// Configuration comes from the environment (local stack by default, real Azure with the
// tutorial's five values); SIGINT/SIGTERM shut it down gracefully.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createAzureClients } from './clients';
import { installLogging } from './logging';
import { ConfigError, loadConfig, temporalConnection, type AppConfig } from './config';

/** Account keys to redact from every log line, whatever the target. */
export function secretsOf(config: AppConfig): string[] {
  return [config.batch.accountKey, config.storage.accountKey];
}

export async function createWorker(
  config: AppConfig,
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: temporalConnection(config).namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities(createAzureClients(config)),
    // Heartbeats reach the server at least every 2 s, so progress (upload files and bytes) is live.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...overrides,
  });
}

async function run(): Promise<void> {
  const config = loadConfig();
  installLogging({ level: config.logLevel, secrets: secretsOf(config) });
  const { connectionOptions } = temporalConnection(config);
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await createWorker(config, connection);
    console.log(
      `Worker on task queue ${config.temporal.taskQueue} at ${connectionOptions.address}; ` +
        `Batch ${config.batch.url}, storage ${config.storage.blobUrl} (${config.target}).`,
    );
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  run().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
