// Not a test: a probe of the emulator's memory with N tasks (default 100,000) in one job, each
// shaped like the product's (a SAS resource file, two output files with container SAS URLs).
// With --run the tasks are run to completion instead (`/bin/true`, no files: there is no
// storage here) and the heap is measured again once all have completed.
// Run: node --expose-gc --import tsx packages/azure-batch-emulator/test/rss-probe.ts [N] [--run]
import type { BatchServiceModels } from '@azure/batch';
import { batchClient, poolSpec, removeDir, startTestEmulator, waitFor } from './helpers';

const TOTAL = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const RUN = process.argv.includes('--run');
const sas = `sv=2024-05-04&se=2026-12-01T00%3A00%3A00Z&sr=c&sp=r&sig=${'x'.repeat(44)}`;
const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function main() {
  const emu = await startTestEmulator({});
  const client = batchClient(emu);
  await client.pool.add(
    poolSpec('probe', { vmSize: 'STANDARD_D2s_v3', targetDedicatedNodes: 0, taskSlotsPerNode: 8 }),
  );
  await client.job.add({ id: 'big', poolInfo: { poolId: 'probe' } });
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  const started = Date.now();
  for (let c = 0; c < TOTAL / 100; c++) {
    const tasks: BatchServiceModels.TaskAddParameter[] = Array.from({ length: 100 }, (_, i) => {
      const id = `task-${String(c * 100 + i).padStart(6, '0')}`;
      if (RUN) return { id, commandLine: '/bin/true' };
      return {
        id,
        displayName: `some/prefix/input-file-${id}.mp4`,
        commandLine: '/bin/bash -c "ffmpeg -hide_banner -nostdin -y -i input.mp4 output.mp3"',
        resourceFiles: [
          {
            httpUrl: `http://127.0.0.1:10000/devstoreaccount1/run-abcdef-input/some/prefix/input-file-${id}.mp4?${sas}`,
            filePath: 'input.mp4',
          },
        ],
        outputFiles: [
          {
            filePattern: 'output.mp3',
            destination: {
              container: {
                containerUrl: `http://127.0.0.1:10000/devstoreaccount1/run-abcdef-output?${sas}`,
                path: `input-file-${id}.mp3`,
              },
            },
            uploadOptions: { uploadCondition: 'tasksuccess' },
          },
          {
            filePattern: '../std*.txt',
            destination: {
              container: {
                containerUrl: `http://127.0.0.1:10000/devstoreaccount1/run-abcdef-output?${sas}`,
                path: `logs/${id}`,
              },
            },
            uploadOptions: { uploadCondition: 'taskfailure' },
          },
        ],
        constraints: { maxTaskRetryCount: 1 },
      };
    });
    const res = await client.task.addCollection('big', tasks);
    if (!res.value?.every((r) => r.status === 'success')) throw new Error('add failed');
    if (c % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const addMs = Date.now() - started;
  await new Promise((r) => setTimeout(r, 1000)); // let the journal flush
  gc();
  const after = process.memoryUsage();
  peakRss = Math.max(peakRss, after.rss);
  const t0 = process.hrtime.bigint();
  const counts = await client.job.getTaskCounts('big');
  const countMs = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    JSON.stringify({
      tasks: TOTAL,
      active: counts.taskCounts.active,
      addSeconds: addMs / 1000,
      heapUsedDeltaMb: mb(after.heapUsed - base.heapUsed),
      bytesPerTask: Math.round((after.heapUsed - base.heapUsed) / TOTAL),
      rssMb: mb(after.rss),
      peakRssMb: mb(peakRss),
      taskCountsMs: countMs.toFixed(1),
    }),
  );
  if (RUN) {
    const runStarted = Date.now();
    await client.pool.resize('probe', { targetDedicatedNodes: 4 });
    await waitFor(
      'every task completed',
      async () => {
        const { taskCounts } = await client.job.getTaskCounts('big');
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        return taskCounts.completed === TOTAL ? taskCounts : undefined;
      },
      3_600_000,
      1000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    const completed = process.memoryUsage();
    console.log(
      JSON.stringify({
        completed: TOTAL,
        runSeconds: (Date.now() - runStarted) / 1000,
        heapUsedDeltaMb: mb(completed.heapUsed - base.heapUsed),
        bytesPerCompletedTask: Math.round((completed.heapUsed - base.heapUsed) / TOTAL),
        bytesAddedByCompletion: Math.round((completed.heapUsed - after.heapUsed) / TOTAL),
        rssMb: mb(completed.rss),
        peakRssMb: mb(Math.max(peakRss, completed.rss)),
      }),
    );
  }
  await emu.stop();
  removeDir(emu.dataDir);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
