// A pool that fits the work and stops costing while it waits, and the node time of every run:
// observed from outside, through Batch's own API on the emulator, while the run goes on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { BatchServiceClient } from '@azure/batch';
import { createAzureClients } from '../../src/azure-clients';
import {
  approveCleanupSignal,
  InvalidInputError,
  planTranscode,
  progressQuery,
  TRANSCODE_WORKFLOW_TYPE,
  type TranscodeInput,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { fittedTargets } from '../../src/workflows/transcode/pool';
import { runCli } from '../helpers/cli';
import { testConfig } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/worker';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` small files; the last one says `long`, so its task runs `longSeconds`. */
function inputs(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-fit-'));
  for (let i = 0; i < count; i++) {
    const name = `f-${String(i).padStart(2, '0')}.bin`;
    fs.writeFileSync(path.join(dir, name), i === count - 1 ? 'long\n' : `${i}\n`);
  }
  return dir;
}

const command = (longSeconds: number) =>
  `/bin/bash -c "if grep -q long {input}; then sleep ${longSeconds}; else sleep 0.3; fi; cp {input} {output}"`;

describe('a pool that fits the work', () => {
  let tw: TestWorker;
  let batch: BatchServiceClient;

  before(async () => {
    tw = await startTestWorker(await testConfig(), 'pool-fit');
    batch = createAzureClients(tw.config).batch;
  });

  function start(workflowId: string, input: TranscodeInput) {
    return tw.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [input],
    });
  }

  test('20 files on 5 nodes, the last task long: shrunk before the end, 0 nodes while the decision is awaited, node time and cost in the result', async () => {
    const workflowId = `pool-fit-${Date.now()}`;
    const handle = await start(workflowId, {
      input: { localDir: inputs(20), pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: command(8) },
      pool: { dedicatedNodes: 0, lowPriorityNodes: 5 },
      cleanup: { policy: 'ask', decisionTimeoutMinutes: 5 },
      cost: { dedicatedPerHour: 0.05, spotPerHour: 0.01, currency: 'USD' },
      polling: { minIntervalSeconds: 0.25, maxIntervalSeconds: 1 },
    });

    // Watch the pool from outside while tasks still run.
    let id: string;
    let fullSeen = 0;
    let shrunkWhileRunning: { target: number; current: number; running: number } | undefined;
    let fewestNodesWhileRunning = Infinity;
    const deadline = Date.now() + 90_000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the run never reached its cleanup decision');
      const progress = await handle.query(progressQuery);
      id = progress.pool.id;
      if (progress.phase === 'awaiting-cleanup-decision') break;
      if (progress.pool.created && progress.job.created) {
        const pool = await batch.pool.get(id).catch(() => undefined);
        const counts = await batch.job
          .getTaskCounts(progress.job.id)
          .then((answer) => answer.taskCounts)
          .catch(() => undefined);
        if (pool && counts) {
          const target = (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0);
          const current = (pool.currentDedicatedNodes ?? 0) + (pool.currentLowPriorityNodes ?? 0);
          fullSeen = Math.max(fullSeen, current);
          // The workflow resizes after its own poll, so a read can land between the tasks
          // finishing and the resize: keep the smallest target seen, the one it caught up to.
          if (
            counts.running > 0 &&
            counts.active === 0 &&
            target < Math.min(5, shrunkWhileRunning?.target ?? Infinity)
          ) {
            shrunkWhileRunning = { target, current, running: counts.running };
          }
          if (counts.running > 0)
            fewestNodesWhileRunning = Math.min(fewestNodesWhileRunning, current);
        }
      }
      await sleep(200);
    }
    assert.equal(fullSeen, 5, 'the pool had its 5 nodes while the queue was full');
    assert.ok(shrunkWhileRunning, 'the pool was never shrunk while the long task ran');
    assert.ok(
      shrunkWhileRunning.target <= shrunkWhileRunning.running,
      `shrunk to ${shrunkWhileRunning.target} node(s) with ${shrunkWhileRunning.running} task(s) running`,
    );

    assert.ok(
      fewestNodesWhileRunning <= 1,
      `idle nodes gone while the long task ran (${fewestNodesWhileRunning} left)`,
    );

    // Awaiting the decision: the pool is kept, with a target of 0 nodes.
    let waiting = await batch.pool.get(id);
    for (let i = 0; i < 50 && (waiting.targetLowPriorityNodes ?? 0) > 0; i++) {
      await sleep(100);
      waiting = await batch.pool.get(id);
    }
    assert.equal(waiting.state, 'active', 'the pool is kept for inspection');
    assert.deepEqual(
      [waiting.targetDedicatedNodes, waiting.targetLowPriorityNodes],
      [0, 0],
      'target nodes while the decision is awaited',
    );
    // The run records the resize once the activity has returned: a moment after Batch has it.
    let recorded = (await handle.query(progressQuery)).pool.targetNodes;
    for (let i = 0; i < 50 && recorded !== 0; i++) {
      await sleep(100);
      recorded = (await handle.query(progressQuery)).pool.targetNodes;
    }
    assert.equal(recorded, 0, 'the target the run records while the decision is awaited');

    await handle.signal(approveCleanupSignal, { deleteJob: true, deletePool: true });
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.equal(result.counts.succeeded, 20, result.message);
    const usage = result.usage;
    assert.ok(usage, 'the result carries node time');
    assert.equal(usage.dedicatedNodeSeconds, 0);
    assert.ok(usage.spotNodeSeconds > 0, `${usage.spotNodeSeconds} Spot node-seconds`);
    // Five nodes for the whole run would be 5 × its length: the shrink saved part of that.
    const runSeconds = result.totalMs / 1000;
    assert.ok(
      usage.spotNodeSeconds < 5 * runSeconds,
      `${usage.spotNodeSeconds} node-s in a run of ${runSeconds.toFixed(1)} s`,
    );
    assert.ok(usage.cost, 'prices given: a cost');
    assert.equal(usage.cost.currency, 'USD');
    const expected = (usage.spotNodeSeconds / 3600) * 0.01;
    assert.ok(Math.abs(usage.cost.amount - expected) < 1e-5, `${usage.cost.amount} vs ${expected}`);
    console.log(
      `pool-fit: ${usage.spotNodeSeconds} Spot node-s, cost ${usage.cost.amount} USD, run ${runSeconds.toFixed(1)} s, shrunk to ${shrunkWhileRunning.target} with ${shrunkWhileRunning.running} running, ${fewestNodesWhileRunning} node(s) left while it ran`,
    );
  });

  test('2 files: the pool gets 2 of its 5 nodes; without prices, node time and no cost', async () => {
    const workflowId = `pool-fit-small-${Date.now()}`;
    const handle = await start(workflowId, {
      input: { localDir: inputs(2), pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: command(1) },
      pool: { dedicatedNodes: 0, lowPriorityNodes: 5 },
      cleanup: { policy: 'always' },
      polling: { minIntervalSeconds: 0.25, maxIntervalSeconds: 1 },
    });
    let target: number | undefined;
    for (let i = 0; i < 300 && target === undefined; i++) {
      const progress = await handle.query(progressQuery);
      if (progress.pool.created) {
        const pool = await batch.pool.get(progress.pool.id).catch(() => undefined);
        if (pool) target = (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0);
      }
      if (target === undefined) await sleep(100);
    }
    assert.equal(target, 2, 'pool target for 2 files of 1 slot each');
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.ok(result.usage && result.usage.spotNodeSeconds > 0, JSON.stringify(result.usage));
    assert.equal(result.usage.cost, undefined);
  });

  test('the node count is what the work can use: files ÷ slots, capped, dedicated first', () => {
    const pool = (dedicatedNodes: number, lowPriorityNodes: number, taskSlotsPerNode: number) =>
      planTranscode('fit', {
        input: { localDir: '/tmp' },
        pool: { dedicatedNodes, lowPriorityNodes, taskSlotsPerNode },
      }).pool;
    assert.deepEqual(fittedTargets(pool(0, 5, 1), 20), { dedicated: 0, lowPriority: 5 });
    assert.deepEqual(fittedTargets(pool(0, 5, 1), 2), { dedicated: 0, lowPriority: 2 });
    assert.deepEqual(fittedTargets(pool(0, 5, 4), 9), { dedicated: 0, lowPriority: 3 });
    assert.deepEqual(fittedTargets(pool(2, 5, 1), 3), { dedicated: 2, lowPriority: 1 });
    assert.deepEqual(fittedTargets(pool(2, 5, 1), 1), { dedicated: 1, lowPriority: 0 });
  });

  test('prices that are not numbers: a clear message, nothing started', async () => {
    assert.throws(
      () =>
        planTranscode('bad-price', {
          input: { localDir: '/tmp' },
          cost: { spotPerHour: -1, dedicatedPerHour: Number.NaN, currency: 'dollars' },
        }),
      (err: unknown) =>
        err instanceof InvalidInputError &&
        /cost\.spotPerHour must be between 0/.test(err.message) &&
        /cost\.dedicatedPerHour must be a number/.test(err.message) &&
        /cost\.currency "dollars" is not a currency code/.test(err.message),
    );
    const cli = await runCli(
      { DURABLE_BATCH_ENV_FILE: 'none' },
      'start',
      '--input',
      os.tmpdir(),
      '--price-spot',
      'abc',
    );
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /price-spot.*must be a price per node-hour/);
  });
});
