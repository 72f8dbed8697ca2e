import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { batchClient, poolSpec, removeDir, startTestEmulator, tempDir, waitFor } from './helpers';

const running = (marker: string) =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(marker);

describe('state survives a restart', () => {
  const dir = tempDir('persist');
  after(() => removeDir(dir));

  it('keeps pools, jobs, tasks and statistics, and requeues tasks that were running', async () => {
    const dataDir = join(dir, 'batch');
    const flag = join(dir, 'ran-once');
    const first = await startTestEmulator({ dataDir });
    let client = batchClient(first);
    await client.pool.add(poolSpec('pool', { targetDedicatedNodes: 1 }));
    await client.job.add({ id: 'job', poolInfo: { poolId: 'pool' } });
    await client.task.add('job', { id: 'quick', commandLine: '/bin/bash -c "exit 7"' });
    await waitFor('quick done', async () =>
      (await client.task.get('job', 'quick')).state === 'completed' ? true : undefined,
    );
    // First run: leaves a flag and sleeps; after the restart it finds the flag and succeeds.
    await client.task.add('job', {
      id: 'resumed',
      commandLine: `/bin/bash -c "if [ -e ${flag} ]; then echo again; exit 0; fi; touch ${flag}; sleep 19.283"`,
    });
    await waitFor('sleeping', () => (running('sleep 19.283') ? true : undefined));
    await first.stop();
    assert.equal(running('sleep 19.283'), false, 'stop kills task processes');
    const saved = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as {
      version: number;
    };
    assert.equal(saved.version, 1);
    assert.ok(!existsSync(join(dataDir, `state.json.tmp-${process.pid}`)));

    const second = await startTestEmulator({ dataDir });
    client = batchClient(second);
    try {
      assert.equal((await client.pool.get('pool')).id, 'pool');
      assert.equal((await client.task.get('job', 'quick')).executionInfo?.exitCode, 7);
      const t = await waitFor('resumed completes', async () => {
        const task = await client.task.get('job', 'resumed');
        return task.state === 'completed' ? task : undefined;
      });
      assert.equal(t.executionInfo?.result, 'success');
      assert.equal(t.executionInfo?.retryCount, 0, 'a reboot requeue is not a retry');
      const stats = second.stats();
      assert.deepEqual(stats.created, { pools: 1, jobs: 1, tasks: 2 });
      assert.equal(stats.operations.Pool_Add['201'], 1);
      const counts = await client.job.getTaskCounts('job');
      assert.deepEqual(counts.taskCounts, {
        active: 0,
        running: 0,
        completed: 2,
        succeeded: 1,
        failed: 1,
      });
      const [node] = await client.computeNode.list('pool');
      assert.equal(node.state, 'idle');
    } finally {
      await second.stop();
    }
  });
});
