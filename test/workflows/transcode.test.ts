// The transcode workflow end to end on the real local stack: Temporal dev server, Azurite,
// the Batch emulator running ffmpeg, and the project's own worker.
// Over 300 lines: one short scenario per behaviour of the run, sharing one stack and worker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../src/stack/bootstrap.cjs';
import { createAzureClients } from '../../src/azure-clients';
import { makeClip, makeSampleClips, probe } from '../../src/demo/samples';
import { approveCleanupSignal, cancelSignal, progressQuery } from '../../src/transcode';
import type { TranscodeInput } from '../../src/transcode';
import type { RunState } from '../../src/workflows/transcode/state';
import type { TranscodeWorkflow } from '../../src/transcode';
import {
  createdSince,
  emulatorStats,
  operationCount,
  setEmulatorFaults,
} from 'azure-batch-emulator/control';
import { activityCompletionTimes } from '../helpers/history';
import { testConfig } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/worker';

const fast = { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 };
const run = promisify(execFile);

describe('transcode workflow', () => {
  let tw: TestWorker;
  let clips: string;

  before(async () => {
    tw = await startTestWorker(await testConfig(), 'transcode');
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'transcode-clips-'));
    await makeSampleClips(clips, 5, 2);
  });

  function start(id: string, input: TranscodeInput) {
    return tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId: `${id}-${Date.now()}`,
      args: [input],
    });
  }

  async function poolGone(poolId: string): Promise<boolean> {
    const { batch } = createAzureClients(tw.config);
    for (let i = 0; i < 100; i++) {
      if (!(await batch.pool.exists(poolId)).body) return true;
      await sleep(200);
    }
    return false;
  }

  test('five files end to end: five MP3s, each resource created once, nothing left', async () => {
    const before = await emulatorStats(tw.config.batch.url);
    const download = fs.mkdtempSync(path.join(os.tmpdir(), 'transcode-out-'));
    const handle = await start('five', {
      input: { localDir: clips },
      output: { downloadDir: download },
      pool: { lowPriorityNodes: 2 },
      cleanup: { policy: 'always' },
      polling: fast,
    });
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.equal(result.counts.succeeded, 5);
    assert.equal(result.outputCount, 5);
    assert.equal(result.outputs.length, 5);
    const mp3s = fs
      .readdirSync(download)
      .filter((f) => f.endsWith('.mp3'))
      .sort();
    assert.deepEqual(
      mp3s,
      [1, 2, 3, 4, 5].map((i) => `LowPriVMs-${i}.mp3`),
    );
    for (const mp3 of mp3s) {
      const info = await probe(path.join(download, mp3));
      assert.ok(info.audio && !info.video, `${mp3} is not audio only`);
      assert.ok(Math.abs(info.seconds - 2) < 0.3, `${mp3} lasts ${info.seconds} s, not 2 s`);
    }
    const after = await emulatorStats(tw.config.batch.url);
    assert.deepEqual(createdSince(before, after), { pools: 1, jobs: 1, tasks: 5 });
    // Every Batch request of the run carried the newest api-version (Batch retires the older).
    const sent = Object.entries(after.apiVersions)
      .map(([version, count]) => [version, count - (before.apiVersions[version] ?? 0)] as const)
      .filter(([, count]) => count > 0);
    assert.equal(sent.length, 1, `api-versions sent: ${JSON.stringify(sent)}`);
    assert.equal(sent[0][0], '2025-06-01');
    assert.ok(sent[0][1] >= 10, `only ${sent[0][1]} requests counted`);
    const progress = await handle.query(progressQuery);
    // Task counts are asked by the polls alone: one request each, none beside them.
    assert.equal(operationCount(before, after, 'Job_GetTaskCounts'), progress.polls);
    assert.ok(await poolGone(progress.pool.id), 'pool still exists after cleanup');
    assert.ok(
      result.resources.deleted.some((r) => r.startsWith('container ')),
      'input container not deleted',
    );
    // No secret in the history, as the Temporal CLI shows it.
    const cli = findTemporalCli();
    assert.ok(cli);
    const { stdout: history } = await run(
      cli.path,
      [
        'workflow',
        'show',
        '--workflow-id',
        handle.workflowId,
        '--output',
        'json',
        '--address',
        tw.config.temporal.address,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    assert.ok(history.includes('createPoolIfAbsent'), 'the CLI showed no history');
    for (const secret of [
      tw.config.batch.accountKey!,
      tw.config.storage.accountKey!,
      'sig=',
      'AccountKey=',
    ]) {
      assert.ok(!history.includes(secret), `the history contains ${secret.slice(0, 12)}…`);
    }
    const { storage } = createAzureClients(tw.config);
    const inputContainer = result.resources.created
      .find((r) => r.startsWith('container '))!
      .slice(10);
    assert.equal(await storage.blobService.getContainerClient(inputContainer).exists(), false);
  });

  test('a corrupt MP4 fails its own task with the reason; the others succeed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transcode-corrupt-'));
    await makeClip(path.join(dir, 'good one.mp4'), 1);
    await makeClip(path.join(dir, `it's "tricky"; $(touch pwned) & more.mp4`), 1);
    const good = fs.readFileSync(path.join(dir, 'good one.mp4'));
    // Keep the ftyp box so it passes inspection, then garbage: ffmpeg must reject it.
    fs.writeFileSync(
      path.join(dir, 'broken.mp4'),
      Buffer.concat([good.subarray(0, 32), Buffer.alloc(4096, 7)]),
    );
    const handle = await start('corrupt', {
      input: { localDir: dir },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'always' },
      polling: fast,
    });
    const result = await handle.result();
    assert.equal(result.status, 'partially-failed');
    assert.equal(result.counts.succeeded, 2);
    assert.equal(result.failedTasks.length, 1);
    const failed = result.failedTasks[0];
    assert.equal(failed.inputBlob, 'broken.mp4');
    assert.notEqual(failed.exitCode, 0);
    assert.match(failed.stderrTail ?? '', /Invalid data|moov atom not found|error/i);
    // Kept under the run's own prefix, where a later run into the same container cannot clobber it.
    assert.match(failed.logs ?? '', /^_runs\/corrupt-.+\/logs\/task-\d{5}$/);
    assert.deepEqual(result.outputs.map((o) => o.name).sort(), [
      'good one.mp3',
      `it's "tricky"; $(touch pwned) & more.mp3`,
    ]);
    assert.ok(!fs.existsSync('pwned'), 'a file name was executed');
  });

  test('approve and keep: the job and pool stay, then nothing else is deleted', async () => {
    const handle = await start('keep', {
      input: { localDir: clips, pattern: 'LowPriVMs-1.mp4' },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
      polling: fast,
    });
    for (let i = 0; i < 300; i++) {
      const progress = await handle.query(progressQuery);
      if (progress.phase === 'awaiting-cleanup-decision') break;
      await sleep(100);
    }
    await handle.signal(approveCleanupSignal, { deleteJob: false, deletePool: false });
    const result = await handle.result();
    assert.equal(result.status, 'succeeded');
    const progress = await handle.query(progressQuery);
    assert.deepEqual(
      result.resources.kept.sort(),
      [`job ${progress.job.id}`, `pool ${progress.pool.id}`].sort(),
    );
    const { batch } = createAzureClients(tw.config);
    assert.equal((await batch.pool.exists(progress.pool.id)).body, true);
    await batch.job.deleteMethod(progress.job.id);
    await batch.pool.deleteMethod(progress.pool.id);
  });

  /** Runs whose tasks take 30 s, so they can be stopped while they run. */
  const slowRun = (name: string, pattern?: string) =>
    start(name, {
      input: { localDir: clips, pattern },
      output: { commandTemplate: '/bin/bash -c "sleep 30; ffmpeg -y -i {input} {output}"' },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'always' },
      polling: fast,
    });

  async function tasksRunning(handle: Awaited<ReturnType<typeof start>>): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const progress = await handle.query(progressQuery);
      if (progress.phase === 'running' && progress.tasks.counts.running > 0) return;
      await sleep(100);
    }
    assert.fail('no task started running');
  }

  test('cancel during the wait: job terminated, resources cleaned', async () => {
    const handle = await slowRun('cancel');
    await tasksRunning(handle);
    await handle.signal(cancelSignal, { reason: 'test says stop' });
    const result = await handle.result();
    assert.equal(result.status, 'cancelled');
    assert.match(result.message, /test says stop/);
    const progress = await handle.query(progressQuery);
    assert.equal(progress.job.terminated, true);
    assert.ok(result.resources.deleted.includes(`job ${progress.job.id}`));
    assert.ok(result.resources.deleted.includes(`pool ${progress.pool.id}`));
    assert.ok(await poolGone(progress.pool.id));
    // The counts are the final ones, read after the terminate (the last poll saw a task
    // running); tasks never started stay active, as on Batch.
    assert.equal(result.counts.running, 0, JSON.stringify(result.counts));
    assert.equal(result.counts.completed + result.counts.active, 5);
    // Nothing was stored: the run's own output container is not left behind empty.
    assert.ok(
      result.resources.deleted.includes(`container ${result.outputContainer}`),
      JSON.stringify(result.resources),
    );
  });

  test('temporal workflow cancel does the same as the cancel signal, and the run shows Canceled', async () => {
    const handle = await slowRun('wfcancel', 'LowPriVMs-[12].mp4');
    await tasksRunning(handle);
    await handle.cancel();
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.equal((err.cause as Error).name, 'CancelledFailure');
      return true;
    });
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const progress = await handle.query(progressQuery);
    assert.equal(progress.status, 'cancelled');
    assert.equal(progress.job.terminated, true);
    assert.deepEqual(progress.unfinishedTasks, ['task-00000', 'task-00001']);
    assert.ok(progress.cleanup.deleted.includes(`pool ${progress.pool.id}`));
    assert.ok(await poolGone(progress.pool.id));
  });

  test('a pool create whose response is lost is retried without a second pool', async () => {
    const before = await emulatorStats(tw.config.batch.url);
    await setEmulatorFaults(tw.config.batch.url, { dropResponses: { Pool_Add: 1 } });
    try {
      const handle = await start('lost', {
        input: { localDir: clips, pattern: 'LowPriVMs-2.mp4' },
        pool: { lowPriorityNodes: 1 },
        cleanup: { policy: 'always' },
        polling: { ...fast, callTimeoutSeconds: 2 },
      });
      const result = await handle.result();
      assert.equal(result.status, 'succeeded', result.message);
    } finally {
      await setEmulatorFaults(tw.config.batch.url, {});
    }
    const after = await emulatorStats(tw.config.batch.url);
    assert.deepEqual(createdSince(before, after), { pools: 1, jobs: 1, tasks: 1 });
    const poolAdds = after.operations['Pool_Add'] ?? {};
    const beforeAdds = before.operations['Pool_Add'] ?? {};
    const sent =
      Object.values(poolAdds).reduce((a, b) => a + b, 0) -
      Object.values(beforeAdds).reduce((a, b) => a + b, 0);
    assert.ok(sent >= 2, `expected the create to be retried, saw ${sent} Pool_Add request(s)`);
  });

  test('many wait iterations continue-as-new and keep each history bounded; histories replay', async () => {
    const handle = await start('bounded', {
      input: { localDir: clips, pattern: 'LowPriVMs-3.mp4' },
      output: { commandTemplate: '/bin/bash -c "sleep 6; ffmpeg -y -i {input} {output}"' },
      // A start task of 3 s keeps the pool wait long enough to continue as new in it too.
      pool: { lowPriorityNodes: 1, startTaskCommand: '/bin/bash -c "sleep 3"' },
      cleanup: { policy: 'always' },
      polling: { minIntervalSeconds: 0.05, maxIntervalSeconds: 0.05, maxHistoryEvents: 60 },
    });
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    const progress = await handle.query(progressQuery);
    assert.ok(
      progress.continuedAsNew >= 2,
      `continued as new only ${progress.continuedAsNew} time(s)`,
    );
    // Every run of the chain stayed bounded, and every history replays deterministically.
    let runs = 0;
    const resumedIn: string[] = [];
    for await (const execution of tw.client.workflow.list({
      query: `WorkflowId = '${handle.workflowId}'`,
    })) {
      const history = await tw.client.workflow
        .getHandle(handle.workflowId, execution.runId)
        .fetchHistory();
      assert.ok(
        (history.events?.length ?? 0) <= 120,
        `run ${execution.runId} has ${history.events?.length} events`,
      );
      await Worker.runReplayHistory(
        { workflowsPath: require.resolve('../../src/workflows') },
        history,
      );
      const carried =
        history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[1]?.data;
      if (carried) {
        const state = JSON.parse(Buffer.from(carried).toString()) as RunState;
        resumedIn.push(state.resumeAt);
      }
      runs++;
    }
    assert.ok(runs >= 3, `expected at least 3 runs in the chain, listed ${runs}`);
    // Both durable waits continue as new: the pool wait and the task wait.
    assert.ok(resumedIn.includes('pool-wait'), `runs resumed in ${resumedIn.join(', ')}`);
    assert.ok(resumedIn.includes('task-wait'), `runs resumed in ${resumedIn.join(', ')}`);
  });

  test('tasks are added as their inputs are stored: the first ones before the upload ended', async () => {
    // Small files first, then a large one: their tasks need not wait for the large one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transcode-follow-'));
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(dir, `a-${i}.bin`), `small ${i}\n`);
    fs.writeFileSync(path.join(dir, 'z-large.bin'), Buffer.alloc(64 * 1024 * 1024, 7));
    const { batch, storage } = createAzureClients(tw.config);
    try {
      const handle = await start('follow', {
        input: { localDir: dir, pattern: '*.bin' },
        output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
        pool: { lowPriorityNodes: 1, taskSlotsPerNode: 4, vmSize: 'STANDARD_D4s_v3' },
        // Kept, so that the tasks' creation times can be read after the run.
        cleanup: { policy: 'never' },
        polling: fast,
      });
      const result = await handle.result();
      assert.equal(result.status, 'succeeded', result.message);
      assert.equal(result.counts.succeeded, 13);
      const [uploaded] = await activityCompletionTimes(
        tw.client,
        handle.workflowId,
        'uploadInputs',
      );
      assert.ok(uploaded, 'no completed upload in the history');
      const progress = await handle.query(progressQuery);
      const created: Date[] = [];
      let page = await batch.task.list(progress.job.id, {
        taskListOptions: { select: 'id,creationTime' },
      });
      for (;;) {
        created.push(...page.map((t) => t.creationTime ?? new Date(NaN)));
        if (!page.odatanextLink) break;
        page = await batch.task.listNext(page.odatanextLink);
      }
      assert.equal(created.length, 13);
      const early = created.filter((at) => at.getTime() < uploaded.getTime()).length;
      assert.ok(
        early >= 1,
        `no task was added before the upload ended at ${uploaded.toISOString()}: ` +
          created.map((at) => at.toISOString()).join(', '),
      );
      // The upload's published progress went with the manifests.
      const runBlobs: string[] = [];
      for await (const blob of storage.blobService
        .getContainerClient(result.outputContainer)
        .listBlobsFlat({ prefix: '_runs/' })) {
        runBlobs.push(blob.name);
      }
      assert.deepEqual(
        runBlobs.filter((name) => !name.endsWith('results.jsonl.gz')),
        [],
        'run blobs left',
      );
      await batch.job.deleteMethod(progress.job.id);
      await batch.pool.deleteMethod(progress.pool.id);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad input fails before anything is created, with every problem listed', async () => {
    const missing = path.join(os.tmpdir(), `missing-${Date.now()}`);
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await start('bad', {
      input: { localDir: missing },
      cleanup: { policy: 'always' },
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(
        String((err.cause as Error).message),
        new RegExp(`Input folder ${missing} does not exist`),
      );
      return true;
    });
    const after = await emulatorStats(tw.config.batch.url);
    assert.deepEqual(createdSince(before, after), { pools: 0, jobs: 0, tasks: 0 });
  });
});
