// Malformed messages and usage: what a careless script or a typo sends. A raw input of the wrong
// types fails at once naming the fields; malformed cleanup decisions change nothing (shown as
// rejected) while updates refuse them to the caller; the CLI answers usage errors and messages to
// ended or unknown runs with one line and exit 2.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createdSince, emulatorStats } from 'azure-batch-emulator/control';
import { createAzureClients } from '../../src/azure-clients';
import { makeClip } from '../../src/demo/samples';
import {
  approveCleanupUpdate,
  progressQuery,
  TRANSCODE_WORKFLOW_TYPE,
  type Progress,
  type TranscodeInput,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { recordOutcome, resetOutcomes } from '../helpers/fault-harness';
import { testConfig } from '../helpers/stack';
import { runCli } from '../helpers/cli';
import { startTestWorker, type TestWorker } from '../helpers/worker';

const FILE = 'bad-messages';
const fast = { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 };
/** A small run that cleans up after itself. */
const oneNodeAlwaysClean = {
  pool: { lowPriorityNodes: 1 },
  cleanup: { policy: 'always' as const },
  polling: fast,
};

describe('malformed input, messages and usage', () => {
  let tw: TestWorker;
  let clips: string;

  before(async () => {
    resetOutcomes(FILE);
    tw = await startTestWorker(await testConfig(), 'bad-messages');
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-messages-'));
    await makeClip(path.join(clips, 'clip.mp4'), 1);
  });

  const start = (name: string, input: unknown) =>
    tw.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: tw.taskQueue,
      workflowId: `${name}-${Date.now()}`,
      args: [input as TranscodeInput],
    });

  /** The CLI as a user runs it, against the test stack. */
  const cli = (...args: string[]) =>
    runCli({ TEMPORAL_ADDRESS: tw.config.temporal.address }, ...args);

  async function waitForPhase(handle: { query: (q: typeof progressQuery) => Promise<Progress> }) {
    for (let i = 0; i < 600; i++) {
      const progress = await handle.query(progressQuery);
      if (progress.phase === 'awaiting-cleanup-decision') return progress;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the run never asked for a cleanup decision');
  }

  test('a raw input of the wrong types fails within seconds, naming each field, nothing created', async () => {
    const before = await emulatorStats(tw.config.batch.url);
    const started = Date.now();
    const handle = await start('typed', {
      input: { localDir: clips },
      pool: { image: { publisher: 5 }, startTaskCommand: 7 },
      cleanup: { policy: 'always' },
    });
    let message = '';
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      message = err.cause instanceof Error ? err.cause.message : String(err.cause);
      return true;
    });
    const seconds = (Date.now() - started) / 1000;
    assert.match(message, /pool.image.publisher must be a string \(got number 5\)/);
    assert.match(message, /pool.startTaskCommand must be a string \(got number 7\)/);
    assert.ok(seconds < 15, `took ${seconds} s`);
    const created = createdSince(before, await emulatorStats(tw.config.batch.url));
    assert.deepEqual(created, { pools: 0, jobs: 0, tasks: 0 });
    recordOutcome(FILE, {
      scenario: 'raw input with pool.image.publisher: 5, startTaskCommand: 7',
      runsCompleted: 0,
      ...created,
      expectedTasks: 0,
      outputs: 0,
      duplicates: 0,
      leakedPools: 0,
      leakedJobs: 0,
      note: `failed in ${seconds.toFixed(1)} s: ${message.split('\n').slice(1, 3).join(' ').trim()}`,
    });
  });

  test('links are followed (one out of the folder is named), folders and broken links counted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linked-'));
    fs.symlinkSync(path.join(clips, 'clip.mp4'), path.join(dir, 'linked.mp4'));
    fs.symlinkSync(path.join(dir, 'gone.bin'), path.join(dir, 'broken.mp4'));
    fs.mkdirSync(path.join(dir, 'folder.mp4'));
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await start('linked', {
      input: { localDir: dir },
      ...oneNodeAlwaysClean,
    });
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.deepEqual(
      result.outputs.map((o) => o.name),
      ['linked.mp3'],
    );
    const { inspection } = await handle.query(progressQuery);
    assert.ok(inspection);
    assert.equal(inspection.linksFollowed, 1);
    assert.equal(inspection.linksOutside.length, 1);
    assert.match(inspection.linksOutside[0], /^linked\.mp4 → .*clip\.mp4$/);
    assert.deepEqual(inspection.brokenLinks, ['broken.mp4']);
    assert.equal(inspection.folders, 1);

    // A folder holding only a folder named like a video is not "empty".
    const onlyFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'only-folder-'));
    fs.mkdirSync(path.join(onlyFolder, 'x.mp4'));
    const refused = await start('only-folder', { input: { localDir: onlyFolder } });
    await assert.rejects(refused.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      const message = err.cause instanceof Error ? err.cause.message : '';
      assert.match(message, /holds 0 file\(s\) of other names, 1 folder\(s\)/);
      assert.doesNotMatch(message, /empty/);
      return true;
    });
    const created = createdSince(before, await emulatorStats(tw.config.batch.url));
    recordOutcome(FILE, {
      scenario: 'a symlinked MP4 (to outside the folder), a broken link, a folder named x.mp4',
      runsCompleted: 1,
      ...created,
      expectedTasks: 1,
      outputs: result.outputCount,
      duplicates: Math.max(0, created.pools - 1),
      leakedPools: 0,
      leakedJobs: 0,
      note: `${result.status}: link followed and named; then a folder holding only x.mp4/: "not empty"`,
    });
  });

  test('malformed approveCleanup payloads delete nothing; an update refuses them to the caller', async () => {
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await start('decide', {
      input: { localDir: clips },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
      polling: fast,
    });
    const waiting = await waitForPhase(handle);
    const malformed: unknown[] = [
      { deleteJob: 'false', deletePool: 'false' },
      null,
      [false, false],
      { deleteJob: 0, deletePool: 'no' },
      { deleteJob: false, deletepool: false },
    ];
    for (const payload of malformed) await handle.signal('approveCleanup', payload);
    await assert.rejects(
      handle.executeUpdate(approveCleanupUpdate, { args: [{ deleteJob: 'no' } as never] }),
      (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
        assert.match(String((err.cause as Error).message), /deleteJob must be a boolean/);
        return true;
      },
    );
    const after = await handle.query(progressQuery);
    assert.equal(after.phase, 'awaiting-cleanup-decision', 'a malformed decision was applied');
    assert.equal(after.cleanup.decision, undefined);
    assert.equal(after.rejectedMessages?.length, malformed.length, JSON.stringify(after));
    const { batch } = createAzureClients(tw.config);
    assert.equal((await batch.pool.exists(waiting.pool.id)).body, true, 'the pool was deleted');

    // A well-formed update decides, and answers the decision in force.
    const answer = await handle.executeUpdate(approveCleanupUpdate, {
      args: [{ deleteJob: true, deletePool: true }],
    });
    assert.deepEqual(answer, { deleteJob: true, deletePool: true });
    const result = await handle.result();
    assert.ok(result.resources.deleted.includes(`pool ${waiting.pool.id}`));
    const created = createdSince(before, await emulatorStats(tw.config.batch.url));
    recordOutcome(FILE, {
      scenario: 'approveCleanup with "false", null, [false,false], 0/"no", a misspelt field',
      runsCompleted: 1,
      ...created,
      expectedTasks: created.tasks,
      outputs: result.outputCount,
      duplicates: 0,
      leakedPools: 0,
      leakedJobs: 0,
      note: `${malformed.length} rejected, nothing deleted until a valid update; then ${result.resources.deleted.length} deleted`,
    });
  });

  test('the CLI: usage errors exit 2; messages to an ended or unknown run are one line, exit 2', async () => {
    const badNumber = await cli('start', '--input', clips, '--timeout', 'abc');
    assert.equal(badNumber.code, 2, badNumber.stderr);
    assert.match(badNumber.stderr, /--timeout .*'abc' is invalid/);

    const handle = await start('ended', {
      input: { localDir: clips },
      ...oneNodeAlwaysClean,
    });
    await handle.result();
    for (const command of [
      ['cancel', handle.workflowId],
      ['approve-cleanup', handle.workflowId],
    ]) {
      const answer = await cli(...command);
      assert.equal(answer.code, 2, answer.stderr);
      assert.equal(answer.stderr.trim().split('\n').length, 1, answer.stderr);
      assert.match(answer.stderr, /has already ended \(completed\)/);
    }
    const unknown = await cli('cancel', `no-such-run-${Date.now()}`);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    assert.match(unknown.stderr, /No run no-such-run-\d+/);
    recordOutcome(FILE, {
      scenario: '--timeout abc; cancel and approve-cleanup to an ended run and to an unknown id',
      runsCompleted: 1,
      pools: 1,
      jobs: 1,
      tasks: 1,
      expectedTasks: 1,
      outputs: 1,
      duplicates: 0,
      leakedPools: 0,
      leakedJobs: 0,
      note: `exit 2 each, one line: "${unknown.stderr.trim()}"`,
    });
  });
});
