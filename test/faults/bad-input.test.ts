// Bad input ends in a message that says what was wrong and what to do, with nothing created or
// all of it cleaned up. Runs on the shared test stack with the project's own worker.
// Over 300 lines: one short scenario per kind of bad input, sharing one stack and worker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { createAzureClients } from '../../src/azure-clients';
import { makeClip } from '../../src/demo/samples';
import {
  approveCleanupSignal,
  type TranscodeInput,
  progressQuery,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { emulatorStats, type EmulatorStats } from 'azure-batch-emulator/control';
import {
  leftoversOf,
  recordOutcome,
  recordRunOutcome,
  resetOutcomes,
  resourcesOf,
  type RunResources,
} from '../helpers/fault-harness';
import { testConfig } from '../helpers/stack';
import { runCli } from '../helpers/cli';
import { startTestWorker, type TestWorker } from '../helpers/worker';

const FILE = 'bad-input';
const fast = { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 };

describe('bad input', () => {
  let tw: TestWorker;
  let clip: string;

  before(async () => {
    resetOutcomes(FILE);
    tw = await startTestWorker(await testConfig(), 'bad-input');
    clip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bad-clip-')), 'clip.mp4');
    await makeClip(clip, 1);
  });

  function folder(files: Record<string, string | Buffer>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));
    for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
    return dir;
  }

  /** What is left of the run's own pool and job (this stack is shared with other files). */
  function leftovers(run: RunResources): Promise<{ pools: number; jobs: number }> {
    return leftoversOf(createAzureClients(tw.config).batch, run);
  }

  function record(
    scenario: string,
    before: EmulatorStats,
    run: RunResources,
    note: string,
    outputs = 0,
    completed = 0,
  ) {
    return recordRunOutcome(FILE, {
      scenario,
      batchUrl: tw.config.batch.url,
      batch: createAzureClients(tw.config).batch,
      before,
      run,
      note,
      outputs,
      completed,
    });
  }

  /** Starts a run that must fail; returns the failure's message after checking what was created. */
  async function expectFailure(
    scenario: string,
    input: TranscodeInput,
    expected: RegExp,
    worker: TestWorker = tw,
  ): Promise<{ message: string; created: { pools: number; jobs: number; tasks: number } }> {
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await worker.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId: `bad-${Date.now()}`,
      args: [input],
    });
    let message = '';
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      message = err.cause instanceof Error ? err.cause.message : String(err.cause);
      assert.match(message, expected);
      return true;
    });
    const created = await record(
      scenario,
      before,
      resourcesOf(handle, input),
      message.split('\n')[0],
    );
    return { message, created };
  }

  async function expectResult(scenario: string, input: TranscodeInput): Promise<TranscodeResult> {
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId: `bad-${Date.now()}`,
      args: [input],
    });
    const result = await handle.result();
    await record(
      scenario,
      before,
      resourcesOf(handle, input),
      `${result.status}: ${result.message}`,
      result.outputCount,
      1,
    );
    return result;
  }

  const nothing = { pools: 0, jobs: 0, tasks: 0 };

  /**
   * A pool that gets no usable node: one pool; the job and the tasks (one per file) may have
   * been submitted while it allocated, each once, and were deleted with it (record checks no leak).
   */
  function assertNoTaskRan(created: { pools: number; jobs: number; tasks: number }, files = 1) {
    assert.equal(created.pools, 1);
    assert.ok(created.jobs <= 1 && created.tasks <= files, JSON.stringify(created));
  }

  test('missing input folder', async () => {
    const { created } = await expectFailure(
      'missing input folder',
      { input: { localDir: '/no/such/folder' }, cleanup: { policy: 'always' } },
      /Input folder \/no\/such\/folder does not exist on the worker's machine: check the path/,
    );
    assert.deepEqual(created, nothing);
  });

  test('empty folder', async () => {
    const { created } = await expectFailure(
      'empty input folder',
      { input: { localDir: folder({}) }, cleanup: { policy: 'always' } },
      /is empty: put the files to convert there/,
    );
    assert.deepEqual(created, nothing);
  });

  test('no file matching the pattern', async () => {
    const { created } = await expectFailure(
      'no file matches the pattern',
      {
        input: { localDir: folder({ 'notes.txt': 'x', 'clip.mov': 'y' }) },
        cleanup: { policy: 'always' },
      },
      /No file in .* matches \*\.mp4: it holds 2 file\(s\) of other names \(such as .*\)\. Change the pattern or the folder/,
    );
    assert.deepEqual(created, nothing);
  });

  test('a text file named .mp4', async () => {
    const { created } = await expectFailure(
      'a text file named .mp4',
      {
        input: {
          localDir: folder({ 'real.mp4': fs.readFileSync(clip), 'fake.mp4': 'just some text\n' }),
        },
        cleanup: { policy: 'always' },
      },
      /1 file\(s\) named like MP4 video are not MP4 files .*: fake\.mp4\. Remove or replace them/,
    );
    assert.deepEqual(created, nothing);
  });

  test('a corrupt MP4: its task fails with the ffmpeg error, the others succeed', async () => {
    const good = fs.readFileSync(clip);
    const result = await expectResult('a corrupt MP4 among good ones', {
      input: {
        localDir: folder({
          'a.mp4': good,
          'b.mp4': Buffer.concat([good.subarray(0, 40), Buffer.alloc(2048, 1)]),
        }),
      },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'always' },
      polling: fast,
    });
    assert.equal(result.status, 'partially-failed');
    assert.deepEqual(
      result.failedTasks.map((f) => f.inputBlob),
      ['b.mp4'],
    );
    assert.match(result.failedTasks[0].stderrTail ?? '', /b|input/i);
    assert.deepEqual(
      result.outputs.map((o) => o.name),
      ['a.mp3'],
    );
  });

  test('file names with spaces, quotes, unicode and shell metacharacters convert, nothing injected', async () => {
    // Were any of these run by a shell, a file named "injected" would appear in a task's folder.
    const names = [
      'with space.mp4',
      `quote's "double".mp4`,
      'ünïcödé 日本語.mp4',
      'semi;colon $(touch injected) `touch injected` & | > <.mp4',
      ';touch injected;.mp4',
    ];
    const body = fs.readFileSync(clip);
    const input: TranscodeInput = {
      input: { localDir: folder(Object.fromEntries(names.map((n) => [n, body]))) },
      // One node that runs every task at once and is kept while the decision is asked for:
      // the tasks' folders stay there to look into (a node let go takes its folders with it).
      pool: { vmSize: 'STANDARD_A2_v2', lowPriorityNodes: 1, taskSlotsPerNode: 5 },
      cleanup: { policy: 'ask', keepNodesWhileWaiting: true },
      polling: fast,
    };
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId: `bad-${Date.now()}`,
      args: [input],
    });
    try {
      let progress = await handle.query(progressQuery);
      const waiting = (phase: string) => phase !== 'awaiting-cleanup-decision' && phase !== 'done';
      for (let i = 0; i < 600 && waiting(progress.phase); i++) {
        await new Promise((r) => setTimeout(r, 100));
        progress = await handle.query(progressQuery);
      }
      assert.equal(progress.phase, 'awaiting-cleanup-decision', JSON.stringify(progress));
      const batch = createAzureClients(tw.config).batch;
      const seen: string[] = [];
      for (const task of await batch.task.list(progress.job.id)) {
        const files = await batch.file.listFromTask(progress.job.id, task.id!, {
          recursive: true,
        });
        seen.push(...files.map((f) => f.name!));
      }
      // Every task's working folder was looked into.
      assert.equal(
        seen.filter((f) => f === 'wd/input.mp4').length,
        names.length,
        `the tasks' folders: ${seen.join(', ')}`,
      );
      const injected = seen.filter((f) => path.basename(f) === 'injected');
      assert.deepEqual(injected, [], 'a file name was executed as a command');
    } finally {
      // Whatever was found, the run's pool and job go (a failed look must not leave them).
      // (A run already ended has nothing to delete: the signal is then refused, harmlessly.)
      await handle
        .signal(approveCleanupSignal, { deleteJob: true, deletePool: true })
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    }
    const result = await handle.result();
    await record(
      'file names with spaces, quotes, unicode, shell metacharacters',
      before,
      resourcesOf(handle, input),
      `${result.status}: ${result.message}`,
      result.outputCount,
      1,
    );
    assert.equal(result.status, 'succeeded', result.message);
    assert.deepEqual(
      result.outputs.map((o) => o.name).sort(),
      names.map((n) => n.replace(/\.mp4$/, '.mp3')).sort(),
    );
  });

  test('pool or job id with bad characters or over 64: refused by the workflow and by the client', async () => {
    const { message, created } = await expectFailure(
      'pool id with bad characters, job id over 64',
      {
        input: { localDir: path.dirname(clip) },
        pool: { id: 'my pool!' },
        job: { id: 'j'.repeat(65) },
      },
      /Invalid transcode input \(2 problems\)/,
    );
    assert.match(
      message,
      /pool.id "my pool!" is not a valid Batch id: use at most 64 letters, digits, hyphens and underscores/,
    );
    assert.match(message, /job.id "j{65}" is not a valid Batch id/);
    assert.deepEqual(created, nothing);
    const cli = await runCli(
      { TEMPORAL_ADDRESS: tw.config.temporal.address },
      'start',
      '--input',
      path.dirname(clip),
      '--pool-id',
      'bad id',
    );
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /pool.id "bad id" is not a valid Batch id/);
  });

  /** A worker whose key for one service is wrong. */
  async function workerWithWrongKey(service: 'batch' | 'storage') {
    const config = await testConfig();
    const accountKey = Buffer.from('not the key').toString('base64');
    return startTestWorker(
      { ...config, [service]: { ...config[service], accountKey } },
      `wrong-${service}-key`,
    );
  }

  test('a wrong Batch key fails fast (403, not retried) before anything is created', async () => {
    const wrong = await workerWithWrongKey('batch');
    const containersBefore = await containerCount();
    const started = Date.now();
    const { created } = await expectFailure(
      'wrong Batch account key',
      { input: { localDir: path.dirname(clip) }, cleanup: { policy: 'always' } },
      /Batch account: 403 AuthenticationFailed.*check the account name and key/,
      wrong,
    );
    assert.deepEqual(created, nothing);
    assert.equal(await containerCount(), containersBefore, 'a container was created');
    assert.ok(Date.now() - started < 20_000, 'a 403 was retried');
  });

  test('a wrong storage key fails fast before anything is created', async () => {
    const wrong = await workerWithWrongKey('storage');
    const { created } = await expectFailure(
      'wrong storage account key',
      { input: { localDir: path.dirname(clip) }, cleanup: { policy: 'always' } },
      /storage account devstoreaccount1: 403.*check the account name and key/,
      wrong,
    );
    assert.deepEqual(created, nothing);
  });

  test('pool quota exceeded: fails fast on the resize error, pool deleted', async () => {
    const { created } = await expectFailure(
      'pool over the low-priority core quota',
      {
        // Seven files: the pool is fitted to the work, so one file would ask for one node only.
        input: {
          localDir: folder(
            Object.fromEntries(
              Array.from({ length: 7 }, (_, i) => [`clip-${i}.mp4`, fs.readFileSync(clip)]),
            ),
          ),
        },
        pool: { vmSize: 'STANDARD_D5_v2', lowPriorityNodes: 7 },
        cleanup: { policy: 'ask' },
        polling: fast,
      },
      /could not get its nodes: AccountLowPriorityCoreQuotaReached/,
    );
    assertNoTaskRan(created, 7);
  });

  test('more task slots than the VM size allows: Batch names the property and the limit', async () => {
    const { message, created } = await expectFailure(
      'taskSlotsPerNode over the VM size limit',
      {
        input: { localDir: path.dirname(clip) },
        // STANDARD_A1_v2 has 1 core: Batch allows at most 4 slots per node.
        pool: { vmSize: 'STANDARD_A1_v2', taskSlotsPerNode: 5 },
        cleanup: { policy: 'always' },
      },
      /create pool .*: 400 InvalidPropertyValue: /,
    );
    assert.match(message, /PropertyName: taskSlotsPerNode; PropertyValue: 5; Reason: .*1 to 4/);
    assert.deepEqual(created, nothing);
  });

  test('a start task that fails on every node: fails fast, pool deleted', async () => {
    const { created } = await expectFailure(
      'start task fails on every node',
      {
        input: { localDir: path.dirname(clip) },
        pool: {
          lowPriorityNodes: 2,
          startTaskCommand: '/bin/bash -c "apt-get install -y no-such-package-xyz"',
        },
        cleanup: { policy: 'always' },
        polling: fast,
      },
      // One file: the pool fitted to the work gets 1 of its 2 nodes.
      /Every node of pool .* failed its start task \(1 node\(s\)\): check pool.startTaskCommand/,
    );
    assertNoTaskRan(created);
  });

  test('a second start with the same workflow id: clear message, no second run', async () => {
    const id = `same-id-${Date.now()}`;
    const args = [
      'start',
      '--input',
      path.dirname(clip),
      '--workflow-id',
      id,
      '--cleanup',
      'always',
    ];
    const env = { TEMPORAL_ADDRESS: tw.config.temporal.address, TEMPORAL_TASK_QUEUE: tw.taskQueue };
    const first = await runCli(env, ...args);
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(env, ...args);
    assert.equal(second.code, 2);
    assert.match(
      second.stderr,
      new RegExp(`A run with workflow id ${id} is already running; nothing new was started`),
    );
    let runs = 0;
    for await (const _ of tw.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs++;
    assert.equal(runs, 1);
    const handle = tw.client.workflow.getHandle<TranscodeWorkflow>(id);
    const result = await handle.result();
    assert.equal(result.status, 'succeeded');
    // The CLI built the run's input: its pool and job are the ones the run reports.
    const progress = await handle.query(progressQuery);
    const leaks = await leftovers({ poolId: progress.pool.id, jobId: progress.job.id });
    recordOutcome(FILE, {
      scenario: 'second start with the same workflow id',
      runsCompleted: 1,
      pools: 1,
      jobs: 1,
      tasks: 1,
      expectedTasks: 1,
      outputs: result.outputCount,
      duplicates: runs - 1,
      leakedPools: leaks.pools,
      leakedJobs: leaks.jobs,
      note: 'refused with exit 2: "already running; nothing new was started"',
    });
  });

  test('the timeout passes with tasks unfinished: job terminated, cleanup per policy, unfinished named', async () => {
    const result = await expectResult('timeout passes with tasks unfinished', {
      input: { localDir: path.dirname(clip) },
      output: { commandTemplate: '/bin/bash -c "sleep 60; ffmpeg -y -i {input} {output}"' },
      pool: { lowPriorityNodes: 1 },
      timeoutMinutes: 0.1,
      cleanup: { policy: 'always' },
      polling: fast,
    });
    assert.equal(result.status, 'timed-out');
    assert.deepEqual(result.unfinishedTasks, ['task-00000']);
    assert.match(result.message, /Timed out with 1 of 1 task\(s\) unfinished/);
    assert.ok(result.resources.deleted.some((r) => r.startsWith('pool ')));
  });

  test('a cleanup decision that never arrives: the stated default is applied at the deadline', async () => {
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId: `no-decision-${Date.now()}`,
      args: [
        {
          input: { localDir: path.dirname(clip) },
          pool: { lowPriorityNodes: 1 },
          cleanup: { policy: 'ask', decisionTimeoutMinutes: 0.05, defaultDecision: 'delete' },
          polling: fast,
        },
      ],
    });
    const result = await handle.result();
    const progress = await handle.query(progressQuery);
    assert.equal(progress.cleanup.decision?.by, 'default');
    assert.ok(result.resources.deleted.includes(`pool ${progress.pool.id}`));
    assert.ok(result.resources.deleted.includes(`job ${progress.job.id}`));
    await record(
      'cleanup decision never arrives (default: delete)',
      before,
      { poolId: progress.pool.id, jobId: progress.job.id },
      `deleted at the deadline: ${result.resources.deleted.join(', ')}`,
      result.outputCount,
      1,
    );
  });

  async function containerCount(): Promise<number> {
    const { storage } = createAzureClients(tw.config);
    let n = 0;
    for await (const _ of storage.blobService.listContainers()) n++;
    return n;
  }
});
