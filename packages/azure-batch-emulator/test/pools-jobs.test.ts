import type { BatchServiceModels } from '@azure/batch';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchEmulator } from '../src/index';
import {
  batchClient,
  batchError,
  poolSpec,
  rawRequest,
  removeDir,
  startTestEmulator,
  waitFor,
  taskCounts,
} from './helpers';

describe('pools and jobs through @azure/batch', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;

  before(async () => {
    // State changes a second apart: these tests read a state right after causing it, and a
    // loaded machine must not let the next transition slip in between.
    emu = await startTestEmulator({ allocationDelayMs: 1000, deleteDelayMs: 1000 });
    client = batchClient(emu);
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('adds a pool (201 with ETag, Last-Modified, DataServiceId, Location) and reads it back', async () => {
    const res = await client.pool.add(
      poolSpec('pool-a', { targetDedicatedNodes: 1, taskSlotsPerNode: 2 }),
    );
    assert.match(res.eTag ?? '', /^0x[0-9A-F]+$/);
    assert.ok(res.lastModified instanceof Date);
    assert.equal(res.dataServiceId, `${emu.url}/pools/pool-a`);
    assert.equal(res._response.status, 201);
    assert.equal(res._response.headers.get('location'), `${emu.url}/pools/pool-a`);
    assert.ok(res.requestId);

    const pool = await client.pool.get('pool-a');
    assert.equal(pool.id, 'pool-a');
    assert.equal(pool.state, 'active');
    // Batch keeps VM sizes lower-case, whatever the case they were sent in.
    assert.equal(pool.vmSize, 'standard_a1_v2');
    assert.equal(pool.virtualMachineConfiguration?.nodeAgentSKUId, 'batch.node.ubuntu 24.04');
    assert.equal(pool.taskSlotsPerNode, 2);
    assert.equal(pool.eTag, res.eTag);

    const steady = await waitFor('steady pool', async () => {
      const p = await client.pool.get('pool-a');
      return p.allocationState === 'steady' ? p : undefined;
    });
    assert.equal(steady.currentDedicatedNodes, 1);
    assert.equal(steady.resizeErrors, undefined);
  });

  it('answers HEAD with 200/404 (pool.exists) and ids case-insensitively', async () => {
    assert.equal((await client.pool.exists('pool-a')).body, true);
    assert.equal((await client.pool.exists('POOL-A')).body, true);
    assert.equal((await client.pool.exists('nope')).body, false);
  });

  it('refuses a second pool with PoolExists and unknown ids with PoolNotFound', async () => {
    const dup = await batchError(client.pool.add(poolSpec('Pool-A')));
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.code, 'PoolExists');
    assert.match(
      dup.body?.message?.value ?? '',
      /^The specified pool already exists\.\nRequestId:/,
    );
    const missing = await batchError(client.pool.get('nope'));
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, 'PoolNotFound');
  });

  it('validates ids and required properties', async () => {
    const badId = await batchError(client.pool.add(poolSpec('bad id!')));
    assert.equal(badId.statusCode, 400);
    assert.equal(badId.code, 'InvalidPropertyValue');
    // The SDK checks required properties itself, so send the body raw.
    const res = await rawRequest(emu, 'POST', '/pools', {
      body: {
        id: 'p-missing',
        virtualMachineConfiguration: { imageReference: {}, nodeAgentSKUId: 'x' },
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json().code, 'MissingRequiredProperty');
    assert.deepEqual(res.json().values, [{ key: 'PropertyName', value: 'vmSize' }]);
    const badEnum = await rawRequest(emu, 'POST', '/pools', {
      body: {
        ...poolSpec('p-enum'),
        startTask: { commandLine: 'x', userIdentity: { autoUser: { elevationLevel: 'root' } } },
      },
    });
    assert.equal(badEnum.status, 400);
    assert.equal(badEnum.json().code, 'InvalidPropertyValue');
  });

  it('lists pools a page at a time with odata.nextLink (listNext)', async () => {
    for (const id of ['pl-1', 'pl-2', 'pl-3']) await client.pool.add(poolSpec(id));
    const first = await client.pool.list({ poolListOptions: { maxResults: 2 } });
    assert.equal(first.length, 2);
    assert.ok(first.odatanextLink);
    const ids = first.map((p) => p.id);
    let link: string | undefined = first.odatanextLink;
    while (link) {
      const page: BatchServiceModels.PoolListResponse = await client.pool.listNext(link);
      ids.push(...page.map((p) => p.id));
      link = page.odatanextLink;
    }
    assert.deepEqual(ids, ['pool-a', 'pl-1', 'pl-2', 'pl-3']);
    const filtered = await client.pool.list({
      poolListOptions: { filter: "startswith(id, 'pl-')", select: 'id,state' },
    });
    assert.deepEqual(
      filtered.map((p) => p.id),
      ['pl-1', 'pl-2', 'pl-3'],
    );
    assert.equal(filtered[0].vmSize, undefined);
    assert.equal(filtered[0].state, 'active');
  });

  it('resizes (202), refusing a resize while resizing with PoolBeingResized', async () => {
    await client.pool.add(poolSpec('pool-r'));
    const busy = await batchError(client.pool.resize('pool-r', { targetDedicatedNodes: 1 }));
    assert.equal(busy.statusCode, 409);
    assert.equal(busy.code, 'PoolBeingResized');
    await waitFor('steady', async () =>
      (await client.pool.get('pool-r')).allocationState === 'steady' ? true : undefined,
    );
    const res = await client.pool.resize('pool-r', { targetDedicatedNodes: 2 });
    assert.equal(res._response.status, 202);
    assert.equal((await client.pool.get('pool-r')).allocationState, 'resizing');
    const pool = await waitFor('resized', async () => {
      const p = await client.pool.get('pool-r');
      return p.allocationState === 'steady' ? p : undefined;
    });
    assert.equal(pool.currentDedicatedNodes, 2);
    const nodes = await client.computeNode.list('pool-r');
    assert.equal(nodes.length, 2);
    assert.ok(nodes.every((n) => n.isDedicated === true && n.vmSize === 'standard_a1_v2'));
  });

  it('deletes a pool asynchronously: 202, deleting (PoolBeingDeleted), then 404', async () => {
    const res = await client.pool.deleteMethod('pool-r');
    assert.equal(res._response.status, 202);
    assert.equal((await client.pool.get('pool-r')).state, 'deleting');
    const again = await batchError(client.pool.deleteMethod('pool-r'));
    assert.equal(again.code, 'PoolBeingDeleted');
    const recreate = await batchError(client.pool.add(poolSpec('pool-r')));
    assert.equal(recreate.code, 'PoolBeingDeleted');
    await waitFor('pool gone', async () =>
      (await client.pool.exists('pool-r')).body ? undefined : true,
    );
    const gone = await batchError(client.pool.get('pool-r'));
    assert.equal(gone.code, 'PoolNotFound');
  });

  it('adds, reads, lists and patches jobs; JobExists, JobNotFound', async () => {
    const res = await client.job.add({ id: 'job-1', poolInfo: { poolId: 'pool-a' } });
    assert.equal(res._response.status, 201);
    assert.equal(res.dataServiceId, `${emu.url}/jobs/job-1`);
    const job = await client.job.get('job-1');
    assert.equal(job.state, 'active');
    assert.equal(job.poolInfo?.poolId, 'pool-a');
    assert.equal(job.onAllTasksComplete, 'noaction');
    assert.ok(job.executionInfo?.startTime instanceof Date);
    assert.equal(
      (await batchError(client.job.add({ id: 'JOB-1', poolInfo: { poolId: 'x' } }))).code,
      'JobExists',
    );
    assert.equal((await batchError(client.job.get('nope'))).code, 'JobNotFound');
    const jobs = await client.job.list();
    assert.deepEqual(
      jobs.map((j) => j.id),
      ['job-1'],
    );
    const patched = await client.job.patch('job-1', { priority: 10 });
    assert.equal(patched._response.status, 200);
    assert.equal((await client.job.get('job-1')).priority, 10);
  });

  it('counts tasks per state (taskcounts) ', async () => {
    await client.job.add({ id: 'job-counts', poolInfo: { poolId: 'no-such-pool' } });
    await client.task.addCollection('job-counts', [
      { id: 'a', commandLine: 'true' },
      { id: 'b', commandLine: 'true', requiredSlots: 2 },
    ]);
    const counts = await client.job.getTaskCounts('job-counts');
    assert.deepEqual(counts.taskCounts, taskCounts({ active: 2 }));
    assert.deepEqual(counts.taskSlotCounts, {
      active: 3,
      running: 0,
      completed: 0,
      succeeded: 0,
      failed: 0,
    });
  });

  it('terminates a job (202): completed with the reason; then JobCompleted', async () => {
    const res = await client.job.terminate('job-counts', { jobTerminateOptions: {} });
    assert.equal(res._response.status, 202);
    const job = await waitFor('completed job', async () => {
      const j = await client.job.get('job-counts');
      return j.state === 'completed' ? j : undefined;
    });
    assert.equal(job.executionInfo?.terminateReason, 'UserTerminate');
    assert.ok(job.executionInfo?.endTime instanceof Date);
    // Active tasks of a terminated job stay active, never scheduled.
    assert.equal((await client.job.getTaskCounts('job-counts')).taskCounts.active, 2);
    assert.equal((await batchError(client.job.terminate('job-counts'))).code, 'JobCompleted');
    const add = await batchError(client.task.add('job-counts', { id: 'c', commandLine: 'true' }));
    assert.equal(add.code, 'JobCompleted');
  });

  it('deletes a job asynchronously: 202, deleting (JobBeingDeleted), then JobNotFound', async () => {
    const res = await client.job.deleteMethod('job-counts');
    assert.equal(res._response.status, 202);
    assert.equal((await client.job.get('job-counts')).state, 'deleting');
    const add = await batchError(client.job.add({ id: 'job-counts', poolInfo: { poolId: 'p' } }));
    assert.equal(add.code, 'JobBeingDeleted');
    const task = await batchError(client.task.add('job-counts', { id: 'z', commandLine: 'true' }));
    assert.equal(task.code, 'JobBeingDeleted');
    await waitFor('job gone', async () => {
      const e = await batchError(client.job.get('job-counts')).catch(() => undefined);
      return e?.code === 'JobNotFound' ? true : undefined;
    });
  });

  it('patches pools, updates jobs, stops a resize, honours If-Match', async () => {
    const patched = await client.pool.patch('pool-a', { metadata: [{ name: 'k', value: 'v' }] });
    assert.equal(patched._response.status, 200);
    const pool = await client.pool.get('pool-a');
    assert.deepEqual(pool.metadata, [{ name: 'k', value: 'v' }]);
    const stale = await batchError(
      client.pool.get('pool-a', { poolGetOptions: { ifMatch: '0x1' } }),
    );
    assert.equal(stale.statusCode, 412);
    const fresh = await client.pool.get('pool-a', { poolGetOptions: { ifMatch: pool.eTag } });
    assert.equal(fresh.id, 'pool-a');

    await client.pool.add(poolSpec('pool-s', { targetDedicatedNodes: 3 }));
    const stopped = await client.pool.stopResize('pool-s');
    assert.equal(stopped._response.status, 202);
    const after = await waitFor('stopped', async () => {
      const p = await client.pool.get('pool-s');
      return p.allocationState === 'steady' ? p : undefined;
    });
    assert.equal(after.resizeErrors?.[0].code, 'ResizeStopped');
    assert.equal(after.currentDedicatedNodes, 0);

    await client.job.add({ id: 'job-u', poolInfo: { poolId: 'pool-a' }, priority: 5 });
    const updated = await client.job.update('job-u', {
      poolInfo: { poolId: 'pool-a' },
      constraints: { maxTaskRetryCount: 4 },
    });
    assert.equal(updated._response.status, 200);
    const job = await client.job.get('job-u');
    assert.equal(job.priority, 0, 'update replaces what it is not given');
    assert.equal(job.constraints?.maxTaskRetryCount, 4);
  });

  it('lists compute nodes of a pool', async () => {
    const nodes = await client.computeNode.list('pool-a');
    assert.equal(nodes.length, 1);
    const node = nodes[0];
    assert.match(node.id ?? '', /^tvmps_[0-9a-f]{64}_d$/);
    assert.equal(node.isDedicated, true);
    assert.equal(node.schedulingState, 'enabled');
    const one = await client.computeNode.get('pool-a', node.id!);
    assert.equal(one.id, node.id);
    assert.equal((await batchError(client.computeNode.list('nope'))).code, 'PoolNotFound');
  });
});
