// The task watch (watchTasks) against the test stack's emulator: one taskcounts request per poll
// it counts, back to the workflow at the end, on too many failures and at the lap, a retried
// attempt resuming the pacing from its heartbeat, and a cancel ending it at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BatchServiceModels } from '@azure/batch';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { emulatorStats, operationCount } from 'azure-batch-emulator/control';
import { createAzureClients } from '../../src/azure-clients';
import { createActivities } from '../../src/activities';
import {
  TUTORIAL_DEFAULTS,
  type TaskWatch,
  type TaskWatchBeat,
  type TaskWatchResult,
} from '../../src/transcode';
import { testConfig } from '../helpers/stack';

type Activities = ReturnType<typeof createActivities>;

describe('the task watch', () => {
  let clients: ReturnType<typeof createAzureClients>;
  let activities: Activities;
  let batchUrl: string;
  const stamp = `watch-${Date.now()}`;
  const withNode = `pool-${stamp}-1`;
  const withoutNodes = `pool-${stamp}-0`;

  const pool = (id: string, nodes: number) =>
    activities.createPoolIfAbsent({
      pool: {
        id,
        vmSize: 'STANDARD_D4s_v3',
        dedicatedNodes: nodes,
        lowPriorityNodes: 0,
        taskSlotsPerNode: 4,
        image: TUTORIAL_DEFAULTS.pool.image,
        startTaskCommand: '/bin/true',
      },
      ownerWorkflowId: stamp,
    });

  before(async () => {
    const config = await testConfig();
    batchUrl = config.batch.url;
    clients = createAzureClients(config);
    activities = createActivities(clients);
    await Promise.all([pool(withNode, 1), pool(withoutNodes, 0)]);
  });

  after(async () => {
    for (const id of [withNode, withoutNodes]) {
      await clients.batch.pool.deleteMethod(id).catch(() => undefined);
    }
  });

  /** A job on `poolId` with one task per command line. */
  async function job(name: string, poolId: string, commands: string[]): Promise<string> {
    const jobId = `job-${stamp}-${name}`;
    await activities.createJobIfAbsent({ jobId, poolId, ownerWorkflowId: stamp });
    const tasks: BatchServiceModels.TaskAddParameter[] = commands.map((commandLine, i) => ({
      id: `t-${i}`,
      commandLine,
    }));
    await clients.batch.task.addCollection(jobId, tasks);
    return jobId;
  }

  function watchOf(jobId: string, total: number, overrides: Partial<TaskWatch> = {}): TaskWatch {
    const now = Date.now();
    return {
      jobId,
      total,
      failureLimit: total,
      deadlineMs: now + 120_000,
      runningSinceMs: now,
      returnByMs: now + 60_000,
      bounds: { minIntervalMs: 100, maxIntervalMs: 1_000 },
      pacing: { polls: 0, intervalMs: 100 },
      ...overrides,
    };
  }

  function run(env: MockActivityEnvironment, watch: TaskWatch): Promise<TaskWatchResult> {
    return env.run<[TaskWatch], TaskWatchResult, Activities['watchTasks']>(
      (args) => activities.watchTasks(args),
      watch,
    );
  }

  test('polls until every task completed, one request per poll, heartbeating the counts', async () => {
    const jobId = await job('done', withNode, ['/bin/bash -c "sleep 0.5"', '/bin/true']);
    const env = new MockActivityEnvironment();
    const beats: TaskWatchBeat[] = [];
    env.on('heartbeat', (details: TaskWatchBeat) => beats.push(details));
    const before = await emulatorStats(batchUrl);
    const result = await run(env, watchOf(jobId, 2));
    const after = await emulatorStats(batchUrl);
    assert.equal(result.end, 'completed');
    assert.equal(result.counts.completed, 2);
    assert.equal(result.counts.succeeded, 2);
    assert.ok(result.pacing.polls >= 2, `${result.pacing.polls} poll(s)`);
    assert.equal(operationCount(before, after, 'Job_GetTaskCounts'), result.pacing.polls);
    assert.equal(result.previous?.completed !== undefined, true, 'the poll before the last');
    assert.deepEqual(beats.at(-1), { counts: result.counts, pacing: result.pacing });
  });

  test('hands back when the failures pass the limit', async () => {
    const jobId = await job('failing', withNode, ['/bin/false', '/bin/false', '/bin/false']);
    const result = await run(new MockActivityEnvironment(), watchOf(jobId, 3, { failureLimit: 1 }));
    assert.equal(result.end, 'too-many-failures');
    assert.ok(result.counts.failed > 1, JSON.stringify(result.counts));
  });

  test('hands back at the lap while the tasks still wait, and a retry resumes the pacing', async () => {
    const jobId = await job('queued', withoutNodes, ['/bin/true']);
    const lap = await run(
      new MockActivityEnvironment(),
      watchOf(jobId, 1, { returnByMs: Date.now() + 400 }),
    );
    assert.equal(lap.end, 'lap');
    assert.equal(lap.counts.active, 1);
    // An attempt that finds an earlier one's heartbeat goes on from its polls and interval.
    const resumedFrom: TaskWatchBeat = { counts: lap.counts, pacing: { ...lap.pacing, polls: 40 } };
    const retried = await run(
      new MockActivityEnvironment({ heartbeatDetails: resumedFrom }),
      watchOf(jobId, 1, { returnByMs: Date.now() }),
    );
    assert.equal(retried.end, 'lap');
    assert.equal(retried.pacing.polls, 41);
  });

  test('a slow pace still heartbeats within half the heartbeat timeout', async () => {
    const jobId = await job('slow', withoutNodes, ['/bin/true']);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1_000 });
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const slow = { minIntervalMs: 3_000, maxIntervalMs: 3_000 };
    const result = await run(
      env,
      watchOf(jobId, 1, {
        bounds: slow,
        pacing: { polls: 0, intervalMs: 3_000 },
        returnByMs: Date.now() + 2_500,
      }),
    );
    assert.equal(result.end, 'lap');
    const gaps = beats.slice(1).map((at, i) => at - beats[i]);
    assert.ok(beats.length >= 5, `${beats.length} heartbeats in 2.5 s`);
    assert.ok(Math.max(...gaps) < 800, `heartbeats ${gaps.join(', ')} ms apart`);
  });

  test('a cancelled watch stops at once', async () => {
    const jobId = await job('cancelled', withoutNodes, ['/bin/true']);
    const env = new MockActivityEnvironment();
    const watching = run(
      env,
      watchOf(jobId, 1, { bounds: { minIntervalMs: 30_000, maxIntervalMs: 30_000 } }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelledAt = Date.now();
    env.cancel();
    await assert.rejects(watching, (err) => err instanceof CancelledFailure);
    assert.ok(Date.now() - cancelledAt < 1_000, 'the watch did not stop within a second');
  });
});
