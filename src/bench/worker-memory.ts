// The worker's resident memory at rest, as shipped (src/worker.ts bundles the workflow code
// with webpack when it starts) and with the workflow code bundled beforehand.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { BenchEnv } from './harness';
import { WorkerProcess } from './worker-process';

async function idle(env: BenchEnv, script: string[]) {
  const worker = new WorkerProcess(
    { ...env.stack.env, TEMPORAL_TASK_QUEUE: `bench-mem-${process.pid}-${Date.now()}` },
    script,
  );
  await worker.start();
  try {
    await sleep(2000);
    return { rssMb: Math.round(worker.rssMb()), vmHwmMb: Math.round(worker.hwmMb()) };
  } finally {
    await worker.stop();
  }
}

export async function workerMemoryAtRest(env: BenchEnv) {
  const codePath = path.join(env.dataDir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    },
  });
  fs.writeFileSync(codePath, code);
  return {
    asShipped: await idle(env, ['src/worker.ts']),
    preBundled: await idle(env, ['src/bench/prebundled-worker.ts', codePath]),
    bundleBytes: code.length,
  };
}
