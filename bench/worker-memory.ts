// The worker's resident memory at rest, layer by layer: node alone, with the worker's node flags
// and TypeScript loader, with every module the worker imports, and the worker itself polling
// (connected, workflow bundle loaded). Also what building the workflow bundle costs, once per
// change of the workflow code.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleInChildProcess } from '../src/workflow-bundle';
import { WORKER_READY_MESSAGE, workerCommand, type WorkerCommand } from '../src/worker';
import type { BenchEnv } from './harness';
import { WorkerProcess } from '../src/stack/worker-process';

// WorkerProcess.start() waits for the worker's ready message: the probes send it too.
const IDLE = `process.send({ type: '${WORKER_READY_MESSAGE}' }); setInterval(() => {}, 1 << 30);`;

async function idleRssMb(env: BenchEnv, command: WorkerCommand): Promise<number> {
  const worker = new WorkerProcess({
    env: { ...env.stack.env, TEMPORAL_TASK_QUEUE: `bench-mem-${process.pid}-${Date.now()}` },
    command,
  });
  await worker.start();
  try {
    await sleep(2000);
    return Math.round(worker.rssMb());
  } finally {
    await worker.stop();
  }
}

export async function workerMemoryAtRest(env: BenchEnv) {
  const worker = workerCommand();
  const flags = worker.args.slice(0, -1); // the script comes last
  const probe = (args: string[], withEnv = true): WorkerCommand => ({
    ...worker,
    args,
    env: withEnv ? worker.env : {},
  });
  const bundle = path.join(env.dataDir, 'workflow-bundle.js');
  const started = performance.now();
  await bundleInChildProcess(bundle);
  const bundleBuildMs = Math.round(performance.now() - started);
  return {
    /** RSS at rest (MB) of each layer, each including the ones before it. */
    atRestMb: {
      node: await idleRssMb(env, probe(['-e', IDLE], false)),
      withFlagsAndLoader: await idleRssMb(env, probe([...flags, '-e', IDLE])),
      withModules: await idleRssMb(
        env,
        probe([...flags, '-e', `require('./${worker.args.at(-1)}'); ${IDLE}`]),
      ),
      worker: await idleRssMb(env, worker),
    },
    command: [
      ...Object.entries(worker.env).map(([name, value]) => `${name}=${value}`),
      'node',
      ...worker.args,
    ].join(' '),
    /** Building the bundle in a child process, as a worker does when the workflow code changed. */
    bundleBuildMs,
    bundleBytes: fs.statSync(bundle).size,
  };
}
