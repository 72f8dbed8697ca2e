// P3: 100,000 tiny tasks in one job (quick: 10,000). Time to submit them, Batch requests per
// poll, the history's length over the continue-as-new chain, its largest payload, and the
// worker's peak memory (as a child process) and the emulator's. Targets: 1 request per poll, at
// most 500 events in a run's history, no payload over 256 KB, worker RSS <= 300 MB.
import fs from 'node:fs';
import path from 'node:path';
import { cpuMeter, type BenchEnv } from './harness';
import { makeTinyFiles } from './inputs';
import type { BenchSizes } from './options';
import { activityProfile, phaseBreakdown, pollProfile, round } from './phases';
import { expectSucceeded, runTranscode } from './run';
import { emulatorStats, operationCount, waitUntilNoJobs } from 'azure-batch-emulator/control';
import { WorkerProcess } from '../src/stack/worker-process';
import { workerMemoryAtRest } from './worker-memory';
import { submitWithoutRunning } from './submit';
import { sampleRss } from './rss';

export const P3_TARGET = {
  requestsPerPoll: 1,
  historyEventsMax: 500,
  largestPayloadBytesMax: 256 * 1024,
  workerPeakRssMbMax: 300,
};

const fileSize = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

export async function benchScale(
  env: BenchEnv,
  sizes: BenchSizes['p3'],
  dir: string,
  say: (s: string) => void,
) {
  const taskQueue = `bench-p3-${process.pid}-${Date.now()}`;
  const worker = new WorkerProcess({ env: { ...env.stack.env, TEMPORAL_TASK_QUEUE: taskQueue } });
  say('P3: starting a worker process');
  await worker.start();
  try {
    const idleRssMb = worker.rssMb();
    worker.sampleRss(100);
    const before = await emulatorStats(env.config.batch.url);
    const cpu = cpuMeter(env, { worker: worker.pid });
    const emulatorRss = sampleRss(env.stack.batch?.child?.pid);
    // Azurite rewrites its whole blob index on every save: how big it gets says what that costs.
    const index = path.join(env.stack.dataDir, 'azurite', '__azurite_db_blob__.json');
    let indexPeakBytes = 0;
    const indexSampler = setInterval(() => {
      indexPeakBytes = Math.max(indexPeakBytes, fileSize(index));
    }, 500).unref();
    say(`P3: ${sizes.tasks} tasks, ${sizes.nodes} nodes x ${sizes.slotsPerNode} slots`);
    const run = await runTranscode(
      env.client,
      taskQueue,
      'p3',
      {
        input: { localDir: dir, pattern: '*.bin' },
        output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
        pool: {
          dedicatedNodes: sizes.nodes,
          lowPriorityNodes: 0,
          taskSlotsPerNode: sizes.slotsPerNode,
          // Batch allows at most 4 slots per core: 16 slots need a 4-core size.
          vmSize: 'STANDARD_D4s_v3',
        },
        timeoutMinutes: 60,
        cleanup: { policy: 'always' },
      },
      env.azure.storage,
    );
    clearInterval(indexSampler);
    const emulatorPeakRssMb = emulatorRss.stop();
    const cpuMs = cpu.since();
    const othersCpu = cpu.othersShare();
    const peakSampledMb = worker.peakSampledMb();
    const hwmMb = worker.hwmMb();
    expectSucceeded(run, sizes.tasks);
    const after = await emulatorStats(env.config.batch.url);
    const countRequests = operationCount(before, after, 'Job_GetTaskCounts');
    const polls = run.progress.polls;
    const requestsPerPoll = polls > 0 ? countRequests / polls : 0;
    const historyEvents = run.history.maxEvents;
    const addTasksRequests = operationCount(before, after, 'Task_AddCollection');
    // The addTasks activity, start to end: it adds each task once its input is stored, beside
    // the upload, so it takes as long as the upload at the least.
    const submitMs = run.history.activities
      .filter((a) => a.type === 'addTasks')
      .reduce((sum, a) => sum + a.closedMs - (a.startedMs ?? a.scheduledMs), 0);
    const largestPayloadBytes = run.history.largestPayloadBytes;
    return {
      tasks: sizes.tasks,
      pool: `${sizes.nodes} nodes x ${sizes.slotsPerNode} slots`,
      submitMs: round(submitMs),
      /** Tasks added per second over the addTasks activity (beside the upload). */
      submitTasksPerSecond: Math.round(sizes.tasks / Math.max(0.001, submitMs / 1000)),
      addCollectionRequests: addTasksRequests,
      requestsPerPoll: Math.round(requestsPerPoll * 1000) / 1000,
      taskCountRequests: countRequests,
      polls,
      historyEvents,
      historyEventsTotal: run.history.totalEvents,
      historyRuns: run.history.runs.length,
      historyBytesMax: run.history.maxBytes,
      historyBytesTotal: run.history.totalBytes,
      largestPayloadBytes,
      workerPeakRssMb: Math.round(Math.max(hwmMb, peakSampledMb)),
      workerRss: {
        method:
          'worker as a child process, started as `npm run worker` starts it: /proc/<pid>/status VmHWM, and VmRSS sampled every 100 ms during the run',
        vmHwmMb: Math.round(hwmMb),
        peakSampledDuringRunMb: Math.round(peakSampledMb),
        idleBeforeRunMb: Math.round(idleRssMb),
      },
      /** The emulator's VmRSS sampled every 200 ms during the run. */
      emulatorPeakRssMb,
      wholeRunMs: round(run.endMs - run.startMs),
      phases: phaseBreakdown(run),
      polling: pollProfile(run),
      activities: activityProfile(run),
      profile: {
        /** CPU each process used during the run (ms); the emulator's children are the tasks. */
        cpuMs,
        azuriteIndexPeakBytes: indexPeakBytes,
        /** Bytes of payload in the history by where they sit (the largest first). */
        payloadBytes: Object.fromEntries(
          Object.entries(run.history.payloadBytes).sort((a, b) => b[1] - a[1]),
        ),
        uploadFilesPerSecond: Math.round(
          sizes.tasks / Math.max(0.001, (run.result.phaseMs.uploading ?? 0) / 1000),
        ),
        /**
         * From the upload's start to the last task's end: tasks are added as their inputs are
         * stored, and Batch starts each as soon as it is added.
         */
        tasksPerSecond: Math.round(
          sizes.tasks /
            Math.max(
              0.001,
              (
                [
                  'uploading',
                  'creating-job',
                  'adding-tasks',
                  'waiting-for-pool',
                  'running',
                ] as const
              )
                .map((phase) => run.result.phaseMs[phase] ?? 0)
                .reduce((a, b) => a + b, 0) / 1000,
            ),
        ),
      },
      target: P3_TARGET,
      met: {
        requestsPerPoll: requestsPerPoll <= P3_TARGET.requestsPerPoll,
        historyEvents: historyEvents <= P3_TARGET.historyEventsMax,
        largestPayloadBytes: largestPayloadBytes <= P3_TARGET.largestPayloadBytesMax,
        workerPeakRssMb: Math.max(hwmMb, peakSampledMb) <= P3_TARGET.workerPeakRssMbMax,
      },
      /** Share of the machine other processes used during the run (0-1). */
      othersCpu,
    };
  } finally {
    await worker.stop();
  }
}

/** P3 and, for the profile, the worker's memory at rest layer by layer. */
export async function benchScaleWithProfile(
  env: BenchEnv,
  sizes: BenchSizes['p3'],
  say: (s: string) => void,
) {
  const dir = env.scratch('p3-tiny');
  const files = makeTinyFiles(dir, sizes.tasks).map((file) => ({
    blobName: path.basename(file),
    size: fs.statSync(file).size,
  }));
  const figures = await benchScale(env, sizes, dir, say);
  say(`P3: ${sizes.tasks} tasks submitted to a pool without nodes (nothing running beside)`);
  await waitUntilNoJobs(env.config.batch.url);
  const submitAlone = await submitWithoutRunning(env, files);
  say('P3: worker memory at rest, layer by layer');
  const memory = await workerMemoryAtRest(env);
  return {
    ...figures,
    profile: {
      ...figures.profile,
      submitWithNothingRunning: submitAlone,
      workerMemoryAtRest: memory,
    },
  };
}

export type P3Figures = Awaited<ReturnType<typeof benchScaleWithProfile>>;
