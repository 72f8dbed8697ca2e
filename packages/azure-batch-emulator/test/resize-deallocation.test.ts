// A resize down takes nodes away as its nodeDeallocationOption says, as Batch does: `requeue`
// (the default) and `terminate` at once, `taskcompletion` once the node's running task ends —
// the node `leavingpool` meanwhile and the pool `resizing` until it has gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchEmulator } from '../src/index';
import { batchClient, poolSpec, removeDir, startTestEmulator, waitFor } from './helpers';

describe('resize down with nodeDeallocationOption', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;

  before(async () => {
    emu = await startTestEmulator();
    client = batchClient(emu);
  });

  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  /** A steady pool of 2 dedicated nodes with one task running `seconds` on one of them. */
  async function busyPool(id: string, seconds: number) {
    await client.pool.add(poolSpec(id, { targetDedicatedNodes: 2 }));
    await waitFor('2 idle nodes', async () => {
      const nodes = await client.computeNode.list(id);
      return nodes.length === 2 && nodes.every((n) => n.state === 'idle') ? true : undefined;
    });
    await client.job.add({ id: `job-${id}`, poolInfo: { poolId: id } });
    await client.task.add(`job-${id}`, { id: 'long', commandLine: `/bin/sleep ${seconds}` });
    await waitFor('task running', async () =>
      (await client.task.get(`job-${id}`, 'long')).state === 'running' ? true : undefined,
    );
  }

  const state = async (id: string) => {
    const pool = await client.pool.get(id);
    const nodes = await client.computeNode.list(id);
    return { pool, nodes };
  };

  it('taskcompletion: the idle node goes, the busy one leaves once its task ends', async () => {
    await busyPool('pool-tc', 2);
    await client.pool.resize('pool-tc', {
      targetDedicatedNodes: 0,
      nodeDeallocationOption: 'taskcompletion',
    });
    const leaving = await waitFor('a node leaving', async () => {
      const s = await state('pool-tc');
      return s.nodes.length === 1 ? s : undefined;
    });
    assert.equal(leaving.nodes[0].state, 'leavingpool');
    assert.equal(leaving.pool.allocationState, 'resizing');
    assert.equal(leaving.pool.targetDedicatedNodes, 0);
    // Another resize while nodes are leaving: refused, as Batch does.
    const busy = await client.pool.resize('pool-tc', { targetDedicatedNodes: 1 }).then(
      () => undefined,
      (err: { code?: string; statusCode?: number }) => err,
    );
    assert.equal(busy?.statusCode, 409);
    assert.equal(busy?.code, 'PoolBeingResized');
    const task = await client.task.get('job-pool-tc', 'long');
    assert.equal(task.state, 'running', 'the task goes on');
    const done = await waitFor(
      'pool steady with no node',
      async () => {
        const s = await state('pool-tc');
        return s.pool.allocationState === 'steady' ? s : undefined;
      },
      10_000,
    );
    assert.equal(done.nodes.length, 0);
    assert.equal(done.pool.currentDedicatedNodes, 0);
    const finished = await client.task.get('job-pool-tc', 'long');
    assert.equal(finished.executionInfo?.result, 'success', 'completed on its node');
    assert.equal(finished.executionInfo?.requeueCount, 0);
  });

  it('requeue (default): the running task goes back to active, its requeueCount counted', async () => {
    await busyPool('pool-rq', 30);
    await client.pool.resize('pool-rq', { targetDedicatedNodes: 0 });
    const task = await waitFor('task requeued', async () => {
      const t = await client.task.get('job-pool-rq', 'long');
      return t.state === 'active' ? t : undefined;
    });
    assert.equal(task.executionInfo?.requeueCount, 1);
  });

  it('terminate: the running task ends, failed with TaskEnded', async () => {
    await busyPool('pool-tm', 30);
    await client.pool.resize('pool-tm', {
      targetDedicatedNodes: 0,
      nodeDeallocationOption: 'terminate',
    });
    const task = await waitFor('task ended', async () => {
      const t = await client.task.get('job-pool-tm', 'long');
      return t.state === 'completed' ? t : undefined;
    });
    assert.equal(task.executionInfo?.result, 'failure');
    assert.equal(task.executionInfo?.failureInfo?.code, 'TaskEnded');
  });

  it('reports each node with its allocation time and priority', async () => {
    const before = Date.now();
    await client.pool.add(
      poolSpec('pool-mix', { targetDedicatedNodes: 1, targetLowPriorityNodes: 1 }),
    );
    const nodes = await waitFor('2 nodes', async () => {
      const listed = await client.computeNode.list('pool-mix', {
        computeNodeListOptions: { select: 'id,state,isDedicated,allocationTime' },
      });
      return listed.length === 2 ? listed : undefined;
    });
    assert.deepEqual(nodes.map((n) => n.isDedicated).sort(), [false, true]);
    for (const node of nodes) {
      assert.ok(node.allocationTime instanceof Date, 'allocationTime');
      assert.ok(node.allocationTime.getTime() >= before - 1000);
    }
  });
});
