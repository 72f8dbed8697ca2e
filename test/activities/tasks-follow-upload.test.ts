// Tasks added beside the upload: addTasks adds a task only once the upload has published that its
// input is stored, never twice, and stops when cancelled while it waits; the upload publishes
// its watermark, the last one being every file. Against the test stack's Azurite and emulator.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAzureClients } from '../../src/azure-clients';
import { createActivities } from '../../src/activities';
import { pieceGoesNow } from '../../src/activities/batch/tasks';
import { writeManifest } from '../../src/activities/storage';
import {
  readUploadProgress,
  UploadProgressPublisher,
} from '../../src/activities/storage/upload-progress';
import {
  planTasks,
  TUTORIAL_DEFAULTS,
  type InputFile,
  type ManifestRef,
  type RunBlobRef,
} from '../../src/transcode';
import { testConfig } from '../helpers/stack';

type Activities = ReturnType<typeof createActivities>;

/** An activity run as the worker runs it (with a context for its heartbeats), typed. */
function inActivity<A, R>(
  env: MockActivityEnvironment,
  fn: (args: A) => Promise<R>,
  args: A,
): Promise<R> {
  return env.run<[A], R, (args: A) => Promise<R>>(fn, args);
}

const FILES = 250;
const EXTENSION = 'out';
const COMMAND = '/bin/bash -c "cp {input} {output}"';

describe('when the stored part of a chunk is sent', () => {
  test('the first task as soon as its input is stored: the nodes wait for it', () => {
    assert.equal(pieceGoesNow(1, 0, 0), true);
  });

  test('then at once only while a piece holds as many tasks as all sent before it', () => {
    assert.equal(pieceGoesNow(2, 0, 2), true);
    assert.equal(pieceGoesNow(40, 10, 35), true);
    assert.equal(pieceGoesNow(10, 100, 35), false, 'a small piece waits for the rest');
  });

  test('a small piece goes once it has waited long enough', () => {
    assert.equal(pieceGoesNow(10, 499, 35), false);
    assert.equal(pieceGoesNow(10, 500, 35), true);
  });
});

describe('tasks added as their inputs are stored', () => {
  let clients: ReturnType<typeof createAzureClients>;
  let activities: Activities;
  const stamp = `follow-${Date.now()}`;
  const container = `${stamp}-out`;
  const poolId = `pool-${stamp}`;
  const files: InputFile[] = Array.from({ length: FILES }, (_, i) => ({
    blobName: `in/f-${String(i).padStart(4, '0')}.bin`,
    size: 1,
  }));
  const expectedIds = planTasks(files, EXTENSION, COMMAND).map((t) => t.taskId);
  let manifest: ManifestRef;

  before(async () => {
    clients = createAzureClients(await testConfig());
    activities = createActivities(clients);
    await clients.storage.blobService.getContainerClient(container).create();
    manifest = await writeManifest(
      clients.storage.blobService,
      { container, blobName: '_runs/follow/inputs.jsonl.gz' },
      files,
    );
    // No nodes: the tasks stay queued, so the job shows exactly the tasks added.
    await activities.createPoolIfAbsent({
      pool: {
        id: poolId,
        vmSize: 'STANDARD_A1_v2',
        dedicatedNodes: 0,
        lowPriorityNodes: 0,
        taskSlotsPerNode: 1,
        image: TUTORIAL_DEFAULTS.pool.image,
        startTaskCommand: TUTORIAL_DEFAULTS.pool.startTaskCommand,
      },
      ownerWorkflowId: stamp,
    });
  });

  after(async () => {
    await clients.batch.pool.deleteMethod(poolId).catch(() => undefined);
    await clients.storage.blobService.getContainerClient(container).deleteIfExists();
  });

  const newJob = async (name: string) => {
    const jobId = `job-${stamp}-${name}`;
    await activities.createJobIfAbsent({ jobId, poolId, ownerWorkflowId: stamp });
    return jobId;
  };

  const taskIds = async (jobId: string): Promise<string[]> => {
    const ids: string[] = [];
    let page = await clients.batch.task.list(jobId, { taskListOptions: { select: 'id' } });
    for (;;) {
      ids.push(...page.map((t) => t.id ?? ''));
      if (!page.odatanextLink) return ids.sort();
      page = await clients.batch.task.listNext(page.odatanextLink);
    }
  };

  const addTasks = (env: MockActivityEnvironment, jobId: string, progress: RunBlobRef) =>
    inActivity(env, (args: Parameters<Activities['addTasks']>[0]) => activities.addTasks(args), {
      jobId,
      manifest,
      extension: EXTENSION,
      commandTemplate: COMMAND,
      inputContainer: `${stamp}-in`,
      outputContainer: container,
      sasValidForMs: 3600_000,
      afterUpload: progress,
    });

  test('nothing before the upload publishes; then the stored inputs only; then all, once', async () => {
    const jobId = await newJob('steps');
    const progress = { container, blobName: '_runs/follow/uploaded-steps.json' };
    const adding = addTasks(new MockActivityEnvironment(), jobId, progress);
    let settled = false;
    void adding.finally(() => (settled = true)).catch(() => undefined);

    await sleep(1500);
    assert.deepEqual(await taskIds(jobId), [], 'no task before any input is stored');
    assert.equal(settled, false);

    const publisher = new UploadProgressPublisher(clients.storage.blobService, progress);
    publisher.advance(30);
    const deadline = Date.now() + 20_000;
    while ((await taskIds(jobId)).length < 30) {
      assert.ok(Date.now() < deadline, 'the first 30 tasks were never added');
      await sleep(100);
    }
    await sleep(1000);
    assert.deepEqual(await taskIds(jobId), expectedIds.slice(0, 30).sort(), 'the first 30 only');

    await publisher.finish(FILES);
    const result = await adding;
    assert.equal(result.added, FILES);
    assert.equal(result.alreadyExisted, 0);
    assert.deepEqual(await taskIds(jobId), [...expectedIds].sort(), 'every task, once');
  });

  test('cancelled while it waits for the upload: it stops, having added nothing', async () => {
    const jobId = await newJob('cancel');
    const env = new MockActivityEnvironment();
    const adding = addTasks(env, jobId, { container, blobName: '_runs/follow/never.json' });
    await sleep(500);
    env.cancel();
    await assert.rejects(adding, (err) => err instanceof CancelledFailure);
    assert.deepEqual(await taskIds(jobId), []);
  });

  test('a progress blob that never parses fails the read, naming the blob', async () => {
    const progress = { container, blobName: '_runs/follow/uploaded-broken.json' };
    await clients.storage.blobService
      .getContainerClient(container)
      .getBlockBlobClient(progress.blobName)
      .upload('{"watermark":3', 14);
    await assert.rejects(
      readUploadProgress(clients.storage.blobService, progress),
      /read the upload's progress .*uploaded-broken\.json/,
    );
  });

  test('the upload publishes its watermark; the last one is every file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-upload-'));
    const local: InputFile[] = [];
    for (let i = 0; i < 40; i++) {
      const name = `c-${String(i).padStart(2, '0')}.bin`;
      fs.writeFileSync(path.join(dir, name), `clip ${i}\n`);
      local.push({ blobName: name, size: fs.statSync(path.join(dir, name)).size });
    }
    const progress = { container, blobName: '_runs/follow/uploaded-upload.json' };
    // The run's containers step creates the input container before the upload.
    await clients.storage.blobService.getContainerClient(`${stamp}-in`).create();
    try {
      const summary = await inActivity(
        new MockActivityEnvironment(),
        (args: Parameters<Activities['uploadInputs']>[0]) => activities.uploadInputs(args),
        { dir, container: `${stamp}-in`, files: local, progress },
      );
      assert.equal(summary.transferred, 40);
      assert.equal(await readUploadProgress(clients.storage.blobService, progress), 40);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await clients.storage.blobService.getContainerClient(`${stamp}-in`).deleteIfExists();
    }
  });
});
