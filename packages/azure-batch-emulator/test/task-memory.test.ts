import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BatchServiceModels } from '@azure/batch';
import type { BatchEmulator } from '../src/index';
import { MemoryStore } from '../src/store/memory-store';
import type { Task } from '../src/store/types';
import { batchClient, poolSpec, removeDir, startTestEmulator, tempDir } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const sas = `sv=2024-05-04&se=2026-12-01T00%3A00%3A00Z&sr=c&sp=r&sig=${'x'.repeat(44)}`;

/** A task as the product adds it: a SAS resource file, two output files to a container SAS URL. */
function productTask(id: string): BatchServiceModels.TaskAddParameter {
  const output = `http://127.0.0.1:10000/devstoreaccount1/run-output?${sas}`;
  return {
    id,
    displayName: `some/prefix/${id}.mp4`,
    commandLine: '/bin/bash -c "ffmpeg -hide_banner -nostdin -y -i input.mp4 output.mp3"',
    resourceFiles: [
      {
        httpUrl: `http://127.0.0.1:10000/devstoreaccount1/run-input/some/prefix/${id}.mp4?${sas}`,
        filePath: 'input.mp4',
      },
    ],
    outputFiles: [
      {
        filePattern: 'output.mp3',
        destination: { container: { containerUrl: output, path: `${id}.mp3` } },
        uploadOptions: { uploadCondition: 'tasksuccess' },
      },
      {
        filePattern: '../std*.txt',
        destination: { container: { containerUrl: output, path: `logs/${id}` } },
        uploadOptions: { uploadCondition: 'taskfailure' },
      },
    ],
    constraints: { maxTaskRetryCount: 1 },
  };
}

describe('a job’s tasks share what they repeat', () => {
  const storedTask = (id: string): Task => ({
    ...(JSON.parse(JSON.stringify(productTask(id))) as Task),
    state: 'active',
    constraints: { maxWallClockTime: 'P1D', retentionTime: 'P7D', maxTaskRetryCount: 1 },
    executionInfo: { retryCount: 0, requeueCount: 0 },
  });

  it('keeps each task’s own values, persisted as they were', () => {
    const store = new MemoryStore();
    const job = store.addJob({ id: 'job' });
    const expected = storedTask('a');
    const a = store.addTask(job, storedTask('a'));
    const b = store.addTask(job, storedTask('b'));
    assert.equal(a.task.constraints, b.task.constraints, 'equal constraints are one object');
    assert.equal(a.task.outputFiles![0].uploadOptions, b.task.outputFiles![0].uploadOptions);
    const line = store
      .changes()
      .split('\n')
      .map((l) => JSON.parse(l || 'null') as { t?: string; rec?: { task: Task } } | null)
      .find((e) => e?.t === 'task' && e.rec?.task.id === 'a');
    const persisted = { ...line!.rec!.task } as Record<string, unknown>;
    for (const k of ['eTag', 'lastModified']) delete persisted[k];
    assert.deepEqual(persisted, JSON.parse(JSON.stringify(expected)));
  });

  it('never lets one task’s change reach another', () => {
    const store = new MemoryStore();
    const job = store.addJob({ id: 'job' });
    const a = store.addTask(job, storedTask('a'));
    const b = store.addTask(job, storedTask('b'));
    // Shared values are frozen: a change in place fails loudly instead of reaching task b.
    assert.throws(() => {
      a.task.constraints!.maxTaskRetryCount = 5;
    }, TypeError);
    assert.throws(() => {
      a.task.executionInfo!.retryCount = 1;
    }, TypeError);
    store.updateTask(job, a, (t) => {
      t.state = 'completed';
      t.constraints = { ...t.constraints, maxTaskRetryCount: 3 };
      t.executionInfo = { ...t.executionInfo!, retryCount: 1, result: 'failure' };
      t.outputFiles![0].filePattern = 'other.mp3';
    });
    assert.equal(b.task.constraints?.maxTaskRetryCount, 1);
    assert.deepEqual(b.task.executionInfo, { retryCount: 0, requeueCount: 0 });
    assert.equal(b.task.outputFiles![0].filePattern, 'output.mp3');
    assert.equal(b.task.state, 'active');
    assert.equal(job.counts.active, 1);
    assert.equal(job.counts.failed, 1);
  });
});

describe('memory per task', () => {
  const TOTAL = 5_000;
  const dataDir = tempDir('task-memory');
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;

  before(async () => {
    emu = await startTestEmulator({ dataDir });
    client = batchClient(emu);
    await client.pool.add(poolSpec('pool', { targetDedicatedNodes: 0 }));
    await client.job.add({ id: 'big', poolInfo: { poolId: 'pool' } });
  });
  after(async () => {
    await emu.stop();
    removeDir(dataDir);
  });

  it(`holds ${TOTAL} product-shaped tasks in bounded heap, answering as sent`, async () => {
    const id = (i: number) => `task-${String(i).padStart(6, '0')}`;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let c = 0; c < TOTAL / 100; c++) {
      const chunk = Array.from({ length: 100 }, (_, i) => productTask(id(c * 100 + i)));
      const res = await client.task.addCollection('big', chunk);
      assert.ok(res.value?.every((r) => r.status === 'success'));
    }
    await new Promise((r) => setTimeout(r, 500)); // the journal's write
    gc();
    const perTask = (process.memoryUsage().heapUsed - before) / TOTAL;
    console.log(`heap per task: ${Math.round(perTask)} bytes`);
    // Each object spread into its own hidden class, 100,000 copies of the repeated strings and
    // objects: over 2 KB a task. Shared, about half that.
    assert.ok(perTask < 1_600, `heap per task ${Math.round(perTask)} bytes`);

    const sent = productTask(id(4321));
    const got = await client.task.get('big', sent.id);
    assert.equal(got.displayName, sent.displayName);
    assert.deepEqual(got.resourceFiles, sent.resourceFiles);
    assert.deepEqual(got.outputFiles, sent.outputFiles);
    assert.equal(got.constraints?.maxTaskRetryCount, 1);
    assert.deepEqual(got.executionInfo, { retryCount: 0, requeueCount: 0 });
    const counts = await client.job.getTaskCounts('big');
    assert.equal(counts.taskCounts.active, TOTAL);

    // Read back after a restart (snapshot and journal), the tasks share as much as when added.
    await emu.stop();
    gc();
    const stopped = process.memoryUsage().heapUsed;
    emu = await startTestEmulator({ dataDir });
    client = batchClient(emu);
    gc();
    const restoredPerTask = (process.memoryUsage().heapUsed - stopped) / TOTAL;
    console.log(`heap per task after a restart: ${Math.round(restoredPerTask)} bytes`);
    assert.ok(restoredPerTask < 1_600, `heap per task ${Math.round(restoredPerTask)} bytes`);
    const model = (t: BatchServiceModels.CloudTask) => {
      // The answer's envelope (request id, date, metadata on the new port) is not the task.
      const { requestId, date, 'odata.metadata': link, ...rest } = t as Record<string, unknown>;
      void [requestId, date, link];
      return rest;
    };
    assert.deepEqual(model(await client.task.get('big', sent.id)), model(got));
    assert.equal((await client.job.getTaskCounts('big')).taskCounts.active, TOTAL);
  });
});
