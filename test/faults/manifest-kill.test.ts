// 100,000 files take a manifest (the claim check): the file list in a blob, addTasks reading it a
// chunk at a time with the chunks done in its heartbeat. Here the worker is SIGKILLed while it
// adds the tasks of a 1,200-file manifest; restarted, the retried attempt resumes after the
// heartbeated chunks, and every task is added exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddTasksResult } from '../../src/activities/batch/tasks';
import { readWholeManifest, type StampResult } from '../../src/activities/storage';
import { RESULTS_LISTED, type ResultEntry, type TranscodeInput } from '../../src/transcode';
import type { EmulatorStats } from 'azure-batch-emulator/control';
import { FaultHarness, resetOutcomes } from '../helpers/fault-harness';
import { activityResults } from '../helpers/history';

const FILE = 'manifest-kill';
const FILES = 1200;
const CHUNKS = FILES / 100;

/** What the addTasks activity heartbeats (src/activities/batch/tasks.ts). */
interface AddTasksHeartbeat {
  doneChunks: number[];
  doneBelow?: number;
}

const addRequests = (s: EmulatorStats) =>
  Object.values(s.operations.Task_AddCollection ?? {}).reduce((a, b) => a + b, 0);

describe('worker killed while adding the tasks of a manifest', () => {
  const h = new FaultHarness();
  const container = `manifest-kill-${Date.now()}`;

  before(async () => {
    resetOutcomes(FILE);
    await h.start();
    // Blob inputs already uploaded: the run starts at the inspection, which writes the manifest.
    const inputs = h.azure.storage.blobService.getContainerClient(container);
    await inputs.createIfNotExists();
    const names = Array.from({ length: FILES }, (_, i) => `in/f-${String(i).padStart(5, '0')}.bin`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names
          .slice(i, i + 50)
          .map((name) => inputs.getBlockBlobClient(name).upload(name, name.length)),
      );
    }
  });
  after(() => h.stop());

  test(`${FILES} blob inputs, ${CHUNKS} chunks: each task added exactly once`, async () => {
    const input: TranscodeInput = {
      input: { blobContainer: container, blobPrefix: 'in/', pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
      // 16 slots need 4 cores: Batch allows at most 4 slots per core.
      pool: { lowPriorityNodes: 2, taskSlotsPerNode: 16, vmSize: 'STANDARD_D4s_v3' },
    };
    const before = await h.stats();
    // Slow answers, so the kill comes with some chunks done and others not.
    await h.faults({ responseDelayMs: { Task_AddCollection: 1000 } });
    const handle = await h.startRun('manifest-kill', input);

    let heartbeat: AddTasksHeartbeat | undefined;
    let answered = 0;
    await h.waitFor(
      handle,
      'a heartbeat names done chunks, some chunks not yet sent',
      async (p, s) => {
        if (p.phase !== 'adding-tasks') return false;
        answered = addRequests(s) - addRequests(before);
        heartbeat = await h.heartbeat<AddTasksHeartbeat>(handle, 'addTasks');
        const done = (heartbeat?.doneBelow ?? 0) + (heartbeat?.doneChunks.length ?? 0);
        return done > 0 && answered < CHUNKS;
      },
      120_000,
    );
    const progress = await h.waitFor(handle, 'killed', () => true);
    assert.ok(progress.tasks.total === FILES, `progress.tasks.total ${progress.tasks.total}`);
    await h.worker.kill();
    await h.faults({});
    // The killed attempt's delayed requests are answered (or dropped) before the restart.
    await sleep(2000);
    const atKill = await h.stats();
    await h.worker.start();
    const result = await handle.result();
    const after = await h.stats();

    const doneAtKill = (heartbeat?.doneBelow ?? 0) + (heartbeat?.doneChunks.length ?? 0);
    const resent = addRequests(after) - addRequests(atKill);
    await h.assertCleanRun(
      FILE,
      `worker killed while adding a manifest's tasks (${doneAtKill} of ${CHUNKS} chunks heartbeated)`,
      before,
      handle,
      result,
      FILES,
      `${resent} addCollection requests after the restart`,
    );
    // Resumed after the heartbeated chunks, not from the start.
    assert.ok(resent <= CHUNKS - doneAtKill, `${resent} requests after the restart`);
    assert.equal(result.counts.succeeded, FILES);

    // The result names the first outputs; the rest are in the results list, as a blob.
    assert.equal(result.outputCount, FILES);
    assert.equal(result.outputs.length, RESULTS_LISTED);
    assert.ok(result.resultsList, 'results list');
    const entries = await readWholeManifest<ResultEntry>(
      h.azure.storage.blobService,
      result.resultsList,
    );
    const outputs = entries.filter((e) => e.kind === 'output');
    assert.equal(outputs.length, FILES);
    assert.equal(new Set(outputs.map((o) => (o.kind === 'output' ? o.name : ''))).size, FILES);
    // The input manifest is gone (cleanup), the results list stays beside the outputs.
    const runBlobs = (await h.outputBlobs(result.outputContainer)).filter((b) =>
      b.startsWith('_runs/'),
    );
    assert.deepEqual(runBlobs, [result.resultsList.blobName]);

    // Tasks found already added (sent by the killed attempt) may lack the record on upload:
    // then the stamp step reads every output's metadata instead of trusting the first one.
    const added = await activityResults<AddTasksResult>(h.client, handle.workflowId, 'addTasks');
    const [stamp] = await activityResults<StampResult>(h.client, handle.workflowId, 'stampOutputs');
    const completed = added.at(-1)!;
    if (completed.alreadyExisted > 0) assert.equal(completed.recordsOnUpload, false);
    assert.equal(stamp.checkedBy, completed.recordsOnUpload ? 'first-output' : 'listing');
    assert.equal(stamp.stamped + stamp.alreadyRecorded, FILES);
  });
});
