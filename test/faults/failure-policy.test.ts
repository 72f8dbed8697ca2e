// A broken command fails every task: with a failure limit the run stops soon after the limit
// is passed, instead of paying for every task to fail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { createdSince, emulatorStats } from 'azure-batch-emulator/control';
import { createAzureClients } from '../../src/azure-clients';
import {
  progressQuery,
  TRANSCODE_WORKFLOW_TYPE,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { recordOutcome, resetOutcomes } from '../helpers/fault-harness';
import { testConfig } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/worker';

const FILE = 'failure-policy';

describe('failure policy', () => {
  let tw: TestWorker;

  before(async () => {
    resetOutcomes(FILE);
    tw = await startTestWorker(await testConfig(), 'failure-policy');
  });

  test('a command that always fails, 50 files, --max-failures 3: stopped after a few failures', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'always-fails-'));
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `f-${i}.bin`), `${i}\n`);
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await tw.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: tw.taskQueue,
      workflowId: `always-fails-${Date.now()}`,
      args: [
        {
          input: { localDir: dir, pattern: '*.bin' },
          output: {
            extension: 'out',
            commandTemplate: '/bin/bash -c "sleep 1; ls {input} > {output}; exit 3"',
          },
          pool: { lowPriorityNodes: 2, taskSlotsPerNode: 2 },
          failures: { maxFailedTasks: 3, taskRetries: 0 },
          cleanup: { policy: 'always' },
          polling: { minIntervalSeconds: 0.25, maxIntervalSeconds: 1 },
        },
      ],
    });
    let message = '';
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      message = err.cause instanceof Error ? err.cause.message : String(err.cause);
      return true;
    });
    assert.match(message, /task\(s\) failed, more than the 3 allowed/);
    assert.match(message, /First failures: f-\d+\.bin \(exit 3/);
    const progress = await handle.query(progressQuery);
    assert.equal(progress.job.terminated, true);
    const failed = progress.tasks.counts.failed;
    // Four slots: the poll that sees more than 3 may see a few more, never most of the 50.
    assert.ok(failed > 3 && failed <= 10, `${failed} failures before the run stopped`);
    assert.ok(
      progress.unfinishedTasks.length >= 35,
      `${progress.unfinishedTasks.length} unfinished`,
    );
    // Batch deletes asynchronously: wait until this run's pool and job are gone (the lane's
    // stack may hold another file's kept pool).
    const { batch } = createAzureClients(tw.config);
    const left = async () => [
      (await batch.pool.exists(progress.pool.id)).body ? 1 : 0,
      (await batch.job.list({ jobListOptions: { filter: `id eq '${progress.job.id}'` } })).length,
    ];
    let leaks = await left();
    for (let i = 0; i < 100 && leaks[0] + leaks[1] > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      leaks = await left();
    }
    assert.deepEqual(
      leaks,
      [0, 0],
      `pool or job left behind: cleanup ${JSON.stringify((await handle.query(progressQuery)).cleanup)}`,
    );
    const after = await emulatorStats(tw.config.batch.url);
    const created = createdSince(before, after);
    recordOutcome(FILE, {
      scenario: 'a command that always fails, 50 files, max 3 failed tasks',
      runsCompleted: 0,
      ...created,
      expectedTasks: 50,
      outputs: 0,
      duplicates: Math.max(0, created.pools - 1) + Math.max(0, created.jobs - 1),
      leakedPools: leaks[0],
      leakedJobs: leaks[1],
      note: `stopped after ${failed} failures, ${progress.unfinishedTasks.length} unfinished: ${message.slice(0, 60)}`,
    });
  });
});
