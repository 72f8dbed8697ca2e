import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchEmulator } from '../src/index';
import {
  batchClient,
  batchError,
  poolSpec,
  rawRequest,
  removeDir,
  startTestEmulator,
  tempDir,
  waitFor,
} from './helpers';

describe('quota, faults, preemption and the control plane', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;
  const dir = tempDir('faults');
  const admin = (path: string, init?: RequestInit) => fetch(`${emu.url}/_emulator/${path}`, init);
  const putFaults = async (settings: object) => {
    const res = await admin('faults', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });
    assert.equal(res.status, 200, await res.clone().text());
  };

  before(async () => {
    emu = await startTestEmulator({
      dataDir: join(dir, 'batch'),
      coreQuota: 4,
      lowPriorityCoreQuota: 2,
    });
    client = batchClient(emu);
  });
  after(async () => {
    await emu.stop();
    removeDir(dir);
  });

  it('answers health for the stack to recognise it', async () => {
    const res = await admin('health');
    const body = (await res.json()) as { service: string; version: string };
    assert.equal(body.service, 'azure-batch-emulator');
    assert.match(body.version, /^\d+\.\d+\.\d+$/);
  });

  it('allocates fewer nodes than asked at the core quota, with resize errors', async () => {
    await client.pool.add(poolSpec('big', { vmSize: 'STANDARD_D2s_v3', targetDedicatedNodes: 3 }));
    await client.pool.add(poolSpec('spot', { targetLowPriorityNodes: 3 }));
    const steady = (id: string) =>
      waitFor(`${id} steady`, async () => {
        const p = await client.pool.get(id);
        return p.allocationState === 'steady' ? p : undefined;
      });
    const big = await steady('big');
    assert.equal(big.currentDedicatedNodes, 2);
    assert.equal(big.resizeErrors?.[0].code, 'AccountCoreQuotaReached');
    const spot = await steady('spot');
    assert.equal(spot.currentLowPriorityNodes, 2);
    assert.equal(spot.resizeErrors?.[0].code, 'AccountLowPriorityCoreQuotaReached');
    // Shrinking frees quota and clears the errors.
    await client.pool.resize('big', { targetDedicatedNodes: 1 });
    const smaller = await steady('big');
    assert.equal(smaller.currentDedicatedNodes, 1);
    assert.equal(smaller.resizeErrors, undefined);
  });

  it('injects 503 ServerBusy at the configured rate, before anything happens', async () => {
    await putFaults({ serverBusyRate: 0.3, seed: 7, operations: ['Pool_Get'] });
    let busy = 0;
    for (let i = 0; i < 200; i++) {
      const res = await rawRequest(emu, 'GET', '/pools/big');
      if (res.status === 503) {
        busy++;
        assert.equal(res.json().code, 'ServerBusy');
      } else {
        assert.equal(res.status, 200);
      }
    }
    assert.ok(busy > 35 && busy < 85, `about 60 of 200 busy, got ${busy}`);
    assert.equal(emu.stats().faults.serverBusy, busy);
    // Operations outside the list are untouched.
    for (let i = 0; i < 20; i++) assert.equal((await rawRequest(emu, 'GET', '/pools')).status, 200);
    const err = await (async () => {
      for (;;) {
        const e = await batchError(client.pool.get('big')).catch(() => undefined);
        if (e) return e;
      }
    })();
    assert.equal(err.statusCode, 503);
    assert.equal(err.code, 'ServerBusy');
  });

  it('injects 429 with Retry-After, 500 InternalError and connection resets', async () => {
    await putFaults({ throttleRate: 1, retryAfterSeconds: 3 });
    const throttled = await rawRequest(emu, 'GET', '/jobs');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '3');
    await putFaults({ internalErrorRate: 1 });
    const internal = await batchError(client.job.list());
    assert.equal(internal.statusCode, 500);
    assert.equal(internal.code, 'InternalError');
    await putFaults({ connectionResetRate: 1 });
    const reset = (await batchError(client.job.list())) as unknown as { code: string };
    assert.match(String(reset.code), /ECONNRESET|REQUEST_SEND_ERROR/);
    await putFaults({});
    assert.equal((await client.job.list()).length, 0);
    const stats = emu.stats();
    assert.equal(stats.faults.throttle, 1);
    assert.equal(stats.faults.internalError, 1);
    assert.equal(stats.faults.connectionReset, 1);
  });

  it('loses the response of a named operation after it ran (the pool exists, the client saw an error)', async () => {
    await putFaults({ dropResponses: { Pool_Add: 1 } });
    await batchError(client.pool.add(poolSpec('lost')));
    assert.equal((await client.pool.exists('lost')).body, true);
    const retry = await batchError(client.pool.add(poolSpec('lost')));
    assert.equal(retry.code, 'PoolExists');
    const stats = emu.stats();
    assert.equal(stats.faults.lostResponse, 1);
    assert.equal(stats.operations.Pool_Add['201'], 3);
    assert.equal(stats.created.pools, 3);
  });

  it('delays responses: per operation after the handler, and slow requests before it', async () => {
    await putFaults({ responseDelayMs: { Job_List: 300 } });
    let started = Date.now();
    await client.job.list();
    const delayed = Date.now() - started;
    assert.ok(delayed >= 290);
    started = Date.now();
    await client.pool.list();
    // Another operation is not held back (compared, not timed: a loaded machine is slow anyway).
    assert.ok(Date.now() - started < delayed);
    await putFaults({ slowRate: 1, slowDelayMs: 200 });
    started = Date.now();
    await client.pool.list();
    assert.ok(Date.now() - started >= 190);
    const bad = await admin('faults', {
      method: 'PUT',
      body: JSON.stringify({ serverBusyRate: 2 }),
    });
    assert.equal(bad.status, 400);
    await putFaults({});
  });

  it('preempts a low-priority node: its running task goes back to active, the node comes back', async () => {
    await client.job.add({ id: 'job', poolInfo: { poolId: 'spot' } });
    const flag = join(dir, 'preempted-once');
    await client.task.add('job', {
      id: 'victim',
      commandLine: `/bin/bash -c "if [ -e ${flag} ]; then exit 0; fi; touch ${flag}; sleep 17.17"`,
      // The flag lives outside the node (in the test's directory): only an admin task may write there.
      userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
      constraints: { maxTaskRetryCount: 0 },
    });
    const running = await waitFor('victim running', async () => {
      const t = await client.task.get('job', 'victim');
      return t.state === 'running' ? t : undefined;
    });
    await waitFor('flag written', () => (existsSync(flag) ? true : undefined));
    const nodeId = running.nodeInfo!.nodeId!;
    // Both spot nodes go, so the requeued task has nowhere to run until they come back.
    const one = await admin(`pools/spot/nodes/${nodeId}/preempt`, { method: 'POST' });
    assert.equal(one.status, 202);
    const rest = await admin('pools/spot/preempt?count=1', { method: 'POST' });
    assert.equal(rest.status, 202);
    const requeued = await client.task.get('job', 'victim');
    assert.equal(requeued.state, 'active');
    assert.equal(requeued.previousState, 'running');
    assert.equal((await client.computeNode.get('spot', nodeId)).state, 'preempted');
    assert.equal((await client.pool.get('spot')).currentLowPriorityNodes, 2);
    const done = await waitFor('victim completes', async () => {
      const t = await client.task.get('job', 'victim');
      return t.state === 'completed' ? t : undefined;
    });
    assert.equal(done.executionInfo?.result, 'success');
    assert.equal(done.executionInfo?.retryCount, 0);
    assert.equal(done.executionInfo?.requeueCount, 0);
    await waitFor('node back', async () => {
      const n = await client.computeNode.get('spot', nodeId);
      return n.state === 'idle' ? true : undefined;
    });
    const dedicated = (await client.computeNode.list('big'))[0];
    const refused = await admin(`pools/big/nodes/${dedicated.id}/preempt`, { method: 'POST' });
    assert.equal(refused.status, 409);
  });

  it('reports statistics and resets everything', async () => {
    const stats = (await (await admin('stats')).json()) as {
      created: { pools: number };
      live: { pools: number; jobs: number; tasks: number };
      operations: Record<string, Record<string, number>>;
    };
    assert.equal(stats.created.pools, 3);
    assert.equal(stats.live.pools, 3);
    assert.equal(stats.live.jobs, 1);
    assert.ok(stats.operations.Pool_Get['200'] > 100);
    const res = await admin('reset', { method: 'POST' });
    assert.equal(res.status, 200, await res.clone().text());
    const after = emu.stats();
    assert.deepEqual(after.created, { pools: 0, jobs: 0, tasks: 0 });
    assert.deepEqual(after.operations, {});
    assert.equal((await client.pool.list()).length, 0);
    assert.equal(emu.stats().live.pools, 0);
  });
});
