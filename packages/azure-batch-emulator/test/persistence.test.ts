import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { MemoryStore, replayJournal, type StoreSnapshot } from '../src/store/memory-store';
import { JsonFilePersistence } from '../src/store/persistence';
import {
  batchClient,
  poolSpec,
  removeDir,
  startTestEmulator,
  tempDir,
  waitFor,
  taskCounts,
} from './helpers';

const MAIN = join(__dirname, '..', 'src', 'main.ts');

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
      // The flag lives outside the node (in the test's directory): only an admin task may write there.
      userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
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
      // A rare CI failure timed out here: say where the task and the node were.
      let seen = '';
      const t = await waitFor('resumed completes', async () => {
        const task = await client.task.get('job', 'resumed');
        const nodes = await client.computeNode.list('pool');
        seen = JSON.stringify({
          task: { state: task.state, executionInfo: task.executionInfo },
          nodes: nodes.map((n) => ({ state: n.state, runningTasks: n.runningTasksCount })),
        });
        return task.state === 'completed' ? task : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}; last seen ${seen}`);
      });
      assert.equal(t.executionInfo?.result, 'success');
      assert.equal(t.executionInfo?.retryCount, 0, 'a reboot requeue is not a retry');
      const stats = second.stats();
      assert.deepEqual(stats.created, { pools: 1, jobs: 1, tasks: 2 });
      assert.equal(stats.operations.Pool_Add['201'], 1);
      const counts = await client.job.getTaskCounts('job');
      assert.deepEqual(counts.taskCounts, taskCounts({ completed: 2, succeeded: 1, failed: 1 }));
      const [node] = await client.computeNode.list('pool');
      assert.equal(node.state, 'idle');
    } finally {
      await second.stop();
    }
  });
});

describe('the state journal', () => {
  const dir = tempDir('journal');
  after(() => removeDir(dir));

  /** A store with a few hundred changes of every kind, pushed through persistence in batches. */
  async function churn(
    file: string,
    compactBytes: number,
    onBatch: (store: MemoryStore, batch: number) => void = () => undefined,
  ) {
    const store: MemoryStore = new MemoryStore(() => persistence.schedule());
    const persistence = new JsonFilePersistence(
      file,
      5,
      { snapshot: () => store.snapshot(), changes: () => store.changes() },
      undefined,
      compactBytes,
    );
    const pool = store.addPool({ id: 'Pool', vmSize: 'standard_a1_v2', state: 'active' });
    for (let batch = 0; batch < 12; batch++) {
      const node = store.addNode(pool, { id: `node-${batch}`, state: 'creating' });
      node.node.state = 'idle';
      store.touchNode(node);
      if (batch % 4 === 3) store.removeNode(pool, `node-${batch - 2}`);
      const job = store.getJob(`job-${batch % 3}`) ?? store.addJob({ id: `Job-${batch % 3}` });
      for (let i = 0; i < 20; i++) store.addTask(job, { id: `t-${batch}-${i}`, state: 'active' });
      for (const rec of [...job.tasks.values()].slice(0, 15)) {
        store.updateTask(job, rec, (t) => {
          t.state = t.state === 'active' ? 'running' : 'completed';
          t.executionInfo = { retryCount: 0, requeueCount: 0, startTime: new Date() };
        });
      }
      store.removeTask(job, `t-${batch}-3`);
      if (batch === 7) store.removeJob('job-1');
      if (batch === 9) store.addJob({ id: 'job-1', displayName: 'again' });
      store.touchPool(pool);
      await persistence.flush();
      onBatch(store, batch);
    }
    return { store, persistence };
  }

  const state = (snapshot: StoreSnapshot) => JSON.stringify(snapshot);

  for (const compactBytes of [Infinity, 0]) {
    it(`loads what was last flushed, after a crash (${compactBytes === 0 ? 'with' : 'without'} snapshots)`, async () => {
      const file = join(dir, `crash-${compactBytes}`, 'state.json');
      const { store, persistence } = await churn(file, compactBytes);
      // Not closed (no last snapshot): as after a SIGKILL, only what the flushes wrote is there.
      await persistence.disable();
      const loaded = new JsonFilePersistence(file, 5, {
        snapshot: () => undefined,
        changes: () => '',
      }).load();
      assert.ok(loaded);
      const entries = loaded.entries as { t?: unknown }[];
      assert.equal(
        state(replayJournal(loaded.snapshot as StoreSnapshot | undefined, entries)),
        state(store.snapshot()),
      );
      if (compactBytes === 0) assert.ok(existsSync(file), 'a snapshot was written');
    });
  }

  it('gives the same state when the journal is replayed over a newer snapshot (a crash mid-compaction)', async () => {
    const file = join(dir, 'replay', 'state.json');
    const snapshots: string[] = [];
    const { store, persistence } = await churn(file, Infinity, (s) =>
      snapshots.push(state(s.snapshot())),
    );
    await persistence.disable();
    const journal = readFileSync(join(dir, 'replay', 'state.journal'), 'utf8');
    const entries = journal
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { t?: unknown });
    for (const snap of snapshots) {
      const base = JSON.parse(snap, (_key, v: unknown) =>
        typeof v === 'string' && /T\d\d:\d\d:\d\d\.\d+Z$/.test(v) ? new Date(v) : v,
      ) as StoreSnapshot;
      assert.equal(state(replayJournal(base, entries)), state(store.snapshot()));
    }
  });
});

describe('acknowledged changes survive a SIGKILL', () => {
  const dir = tempDir('sigkill');
  after(() => removeDir(dir));

  async function startChild(dataDir: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', dataDir], {
      env: { ...process.env, BATCH_EMULATOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const m = /at (http:\/\/\S+) account=(\S+) key=(\S+)/.exec(line);
    assert.ok(m, line);
    return { child, url: m[1], accountName: m[2], accountKey: m[3] };
  }

  it('keeps every pool, job and task answered before the kill', async () => {
    const dataDir = join(dir, 'batch');
    const first = await startChild(dataDir);
    let client = batchClient(first);
    try {
      await client.pool.add(poolSpec('pool', { targetDedicatedNodes: 0 }));
      await client.job.add({ id: 'job', poolInfo: { poolId: 'pool' } });
      // Five collections at once, then the kill as soon as the last one is answered.
      await Promise.all(
        Array.from({ length: 5 }, (_, c) =>
          client.task.addCollection(
            'job',
            Array.from({ length: 100 }, (_, i) => ({
              id: `t${c * 100 + i}`,
              commandLine: '/bin/true',
            })),
          ),
        ),
      );
      await client.job.patch('job', { priority: 7 });
    } finally {
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
    }
    const second = await startChild(dataDir);
    client = batchClient(second);
    try {
      assert.equal((await client.job.get('job')).priority, 7);
      const counts = await client.job.getTaskCounts('job');
      assert.equal(counts.taskCounts.active, 500);
      const stats = (await (await fetch(`${second.url}/_emulator/stats`)).json()) as {
        created: unknown;
      };
      assert.deepEqual(stats.created, { pools: 1, jobs: 1, tasks: 500 });
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });
});
