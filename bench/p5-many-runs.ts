// P5: many runs of a few files started at once on one worker (a child process, started as
// `npm run worker` starts it), all on one existing pool: every run must complete, and the
// worker's peak memory stays bounded. The wall time of them all is reported against one run's
// alone. Target: worker peak RSS <= 500 MB.
import { createActivities } from '../src/activities';
import {
  TRANSCODE_WORKFLOW_TYPE,
  TUTORIAL_DEFAULTS,
  type TranscodeInput,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../src/transcode';
import { WorkerProcess } from '../src/stack/worker-process';
import { cpuMeter, type BenchEnv } from './harness';
import { makeTinyFiles } from './inputs';
import type { BenchSizes } from './options';
import { round } from './phases';

export const P5_TARGET = { workerPeakRssMbMax: 500 };

export async function benchManyRuns(
  env: BenchEnv,
  sizes: BenchSizes['p5'],
  say: (s: string) => void,
) {
  const dir = env.scratch('p5-files');
  makeTinyFiles(dir, sizes.filesPerRun);
  const stamp = Date.now().toString(36);
  const owner = `bench-p5-${stamp}`;
  const poolId = `pool-${owner}`;
  const batch = createActivities(env.azure);
  await batch.createPoolIfAbsent({
    pool: {
      id: poolId,
      // Batch allows at most 4 slots per core: 16 slots need a 4-core size.
      vmSize: 'STANDARD_D4s_v3',
      dedicatedNodes: sizes.nodes,
      lowPriorityNodes: 0,
      taskSlotsPerNode: sizes.slotsPerNode,
      image: TUTORIAL_DEFAULTS.pool.image,
      startTaskCommand: '/bin/true',
    },
    ownerWorkflowId: owner,
  });
  const taskQueue = `bench-p5-${process.pid}-${stamp}`;
  const worker = new WorkerProcess({ env: { ...env.stack.env, TEMPORAL_TASK_QUEUE: taskQueue } });
  say('P5: starting a worker process');
  await worker.start();
  const input: TranscodeInput = {
    input: { localDir: dir, pattern: '*.bin' },
    output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
    pool: { existingPoolId: poolId },
    cleanup: { policy: 'always' },
  };
  /** Starts `count` runs at once; resolves with their results once every one has ended. */
  const runAll = async (label: string, count: number) => {
    const handles = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        env.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
          taskQueue,
          workflowId: `bench-p5-${label}-${i}-${stamp}`,
          args: [input],
        }),
      ),
    );
    return Promise.all(handles.map((h) => h.result()));
  };
  try {
    say('P5: one run alone');
    const oneStarted = performance.now();
    const alone = await runAll('alone', 1);
    const oneRunMs = performance.now() - oneStarted;
    worker.sampleRss(100);
    const cpu = cpuMeter(env, { worker: worker.pid });
    say(`P5: ${sizes.runs} runs of ${sizes.filesPerRun} files at once`);
    const started = performance.now();
    const results = await runAll('many', sizes.runs);
    const allRunsMs = performance.now() - started;
    const othersCpu = cpu.othersShare();
    const peakMb = Math.round(Math.max(worker.hwmMb(), worker.peakSampledMb()));
    const completed = results.filter((r) => succeeded(r, sizes.filesPerRun)).length;
    await deleteOutputs(env, [...alone, ...results]);
    return {
      runs: sizes.runs,
      filesPerRun: sizes.filesPerRun,
      pool: `one existing pool, ${sizes.nodes} nodes x ${sizes.slotsPerNode} slots`,
      completed,
      allRunsMs: round(allRunsMs),
      oneRunMs: round(oneRunMs),
      /** All the runs at once against one alone: how far the worker and the stack stretch. */
      allOverOne: Math.round((allRunsMs / oneRunMs) * 100) / 100,
      workerPeakRssMb: peakMb,
      workerRss: {
        method:
          'worker as a child process, started as `npm run worker` starts it: VmHWM, and VmRSS sampled every 100 ms',
        vmHwmMb: Math.round(worker.hwmMb()),
        peakSampledDuringRunsMb: Math.round(worker.peakSampledMb()),
      },
      target: P5_TARGET,
      met: {
        allCompleted: completed === sizes.runs,
        workerPeakRssMb: peakMb <= P5_TARGET.workerPeakRssMbMax,
      },
      /** Share of the machine other processes used during the runs (0-1). */
      othersCpu,
    };
  } finally {
    await worker.stop();
    await batch.deletePool({ poolId, ownerWorkflowId: owner }).catch(() => false);
  }
}

function succeeded(result: TranscodeResult, files: number): boolean {
  return result.status === 'succeeded' && result.counts.succeeded === files;
}

/** Azurite slows down as blobs pile up: the runs' outputs go before the next section. */
async function deleteOutputs(env: BenchEnv, results: TranscodeResult[]): Promise<void> {
  const containers = [...new Set(results.map((r) => r.outputContainer))];
  for (const name of containers) {
    await env.azure.storage.blobService.getContainerClient(name).deleteIfExists();
  }
}

export type P5Figures = Awaited<ReturnType<typeof benchManyRuns>>;
