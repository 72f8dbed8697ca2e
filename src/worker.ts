// `npm run worker`: the Temporal worker that runs the transcode workflow and its activities.
// Configuration comes from the environment (local stack by default, real Azure with the
// tutorial's five values). SIGINT/SIGTERM shut it down gracefully: polling stops, running
// activities get the grace time (DURABLE_BATCH_SHUTDOWN_GRACE_SECONDS) to finish, then are
// cancelled (transfers stop at their next file and resume elsewhere from their heartbeat), and
// the process exits 0.
//
// Two pollers: the shared task queue (workflows and every activity) and this host's queue
// (`<taskQueue>@<hostId>`), where a run whose folder is on this machine sends the steps that
// read or write that folder (docs/deploy.md says why a queue per host).
//
// The script in package.json keeps its memory down (P3, 10,000 tasks, workflow code pre-bundled:
// peak RSS 330 → about 260 MB for the same CPU): MALLOC_ARENA_MAX=2 (fewer glibc arenas for the
// Rust core's and libuv's threads), --max-semi-space-size=2 (a small young generation),
// --heap-growing-percent=30 (a full GC once the heap has grown 30%, instead of letting it double
// or more first). It runs the compiled JavaScript (dist/, built by the bootstrap when a source
// changed): no TypeScript loader at run time, so the worker starts in a fraction of the time.
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createAzureClients } from './azure-clients';
import { installLogging } from './logging';
import {
  ConfigError,
  loadConfig,
  PROJECT_ROOT,
  temporalConnection,
  type AppConfig,
} from './config';
import { dataConverter } from './payload-codec';
import { hostTaskQueue } from './transcode/input';
import { explainConnectFailure, TemporalUnreachableError } from './temporal-connect-error';
import { workflowBundlePath } from './workflow-bundle';

/** Sent to a parent that started the worker with an IPC channel, once it polls. */
export const WORKER_READY_MESSAGE = 'durable-batch-worker-ready';

/** Account keys to redact from every log line, whatever the target (none with Entra ID). */
export function secretsOf(config: AppConfig): string[] {
  return [config.batch.accountKey, config.storage.accountKey].filter((key): key is string => !!key);
}

/** How `npm run worker` starts the worker, for spawn(). */
export interface WorkerCommand {
  command: string;
  args: string[];
  /** Variables the script sets before node (`NAME=value node ...`). */
  env: Record<string, string>;
}

/**
 * `npm run worker` read from package.json, so that whoever starts the worker as a process (the
 * bench, the fault tests) starts it the same way, with the same flags.
 */
export function workerCommand(): WorkerCommand {
  const pkg = fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8');
  const script = (JSON.parse(pkg) as { scripts: Record<string, string> }).scripts.worker;
  // The command after the build step (`node src/stack/bootstrap.cjs build && ...`).
  const command = script.split('&&').at(-1) ?? '';
  const match = /^((?:\w+=\S*\s+)*)node\s+(.+)$/.exec(command.trim());
  if (!match) throw new Error(`the worker script should run node: ${script}`);
  const env = Object.fromEntries(
    match[1]
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
  return { command: process.execPath, args: match[2].split(/\s+/), env };
}

export async function createWorker(
  config: AppConfig,
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  // The workflow code pre-bundled (cached, built in a child process when the sources change):
  // webpack run here would keep about 120 MB in this process. Overrides may bring their own.
  const workflowCode: Partial<WorkerOptions> =
    'workflowsPath' in overrides || 'workflowBundle' in overrides
      ? {}
      : { workflowBundle: { codePath: await workflowBundlePath() } };
  return Worker.create({
    ...commonOptions(config, connection),
    taskQueue: config.temporal.taskQueue,
    ...workflowCode,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    ...overrides,
  });
}

/** What both of a process's workers share: connection, activities, limits and shutdown. */
function commonOptions(config: AppConfig, connection: NativeConnection) {
  return {
    connection,
    namespace: temporalConnection(config).namespace,
    dataConverter,
    activities: createActivities(createAzureClients(config)),
    // Heartbeats reach the server at least every 2 s, so progress (upload files and bytes) is live.
    maxHeartbeatThrottleInterval: '2 seconds',
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    shutdownGraceTime: config.worker.shutdownGraceMs,
    // An activity that ignores its cancellation must not keep the process past a bound.
    shutdownForceTime: config.worker.shutdownGraceMs + 10_000,
  } satisfies Partial<WorkerOptions>;
}

/**
 * The worker of this host's queue: activities only, for the runs whose input folder is here
 * (`input.inputHost` = this host id).
 */
export async function createHostWorker(
  config: AppConfig,
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    ...commonOptions(config, connection),
    taskQueue: hostTaskQueue(config.temporal.taskQueue, config.worker.hostId),
    ...overrides,
  });
}

/** Both workers of a process, run together: the shared queue's and this host's. */
export async function createWorkers(
  config: AppConfig,
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
): Promise<{ shared: Worker; host: Worker; run: () => Promise<void>; shutdown: () => void }> {
  const shared = await createWorker(config, connection, overrides);
  const { workflowsPath: _w, workflowBundle: _b, ...activityOverrides } = overrides;
  const host = await createHostWorker(config, connection, activityOverrides);
  return {
    shared,
    host,
    run: async () => {
      // Whichever stops (or fails) first stops the other: one process, one lifetime.
      const runs = [shared.run(), host.run()];
      try {
        await Promise.race(runs);
      } finally {
        for (const worker of [shared, host]) if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.allSettled(runs);
      }
      await Promise.all(runs);
    },
    shutdown: () => {
      for (const worker of [shared, host]) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}

async function run(): Promise<void> {
  const config = loadConfig();
  installLogging({ level: config.logLevel, secrets: secretsOf(config) });
  const { connectionOptions } = temporalConnection(config);
  const connection = await NativeConnection.connect(connectionOptions).catch(
    async (err: unknown) => {
      throw await explainConnectFailure(err, connectionOptions);
    },
  );
  try {
    const workers = await createWorkers(config, connection);
    // Through the JSON logger like every other line.
    Runtime.instance().logger.info(
      `Worker on task queue ${config.temporal.taskQueue} at ${connectionOptions.address}`,
      {
        hostQueue: hostTaskQueue(config.temporal.taskQueue, config.worker.hostId),
        maxConcurrentActivities: config.worker.maxConcurrentActivities,
        maxConcurrentWorkflowTasks: config.worker.maxConcurrentWorkflowTasks,
        shutdownGraceMs: config.worker.shutdownGraceMs,
        batch: config.batch.url,
        storage: config.storage.blobUrl,
        target: config.target,
        auth: config.auth === 'keys' ? 'account keys' : 'Microsoft Entra ID',
      },
    );
    const running = workers.run();
    process.send?.({
      type: WORKER_READY_MESSAGE,
      taskQueue: config.temporal.taskQueue,
      hostTaskQueue: hostTaskQueue(config.temporal.taskQueue, config.worker.hostId),
    });
    await running;
    Runtime.instance().logger.info('Worker shut down gracefully');
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  run().catch((err: unknown) => {
    console.error(
      err instanceof ConfigError || err instanceof TemporalUnreachableError ? err.message : err,
    );
    process.exit(1);
  });
}
