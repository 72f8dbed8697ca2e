import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { batchClient, poolSpec, removeDir, tempDir, waitFor } from './helpers';

const MAIN = join(__dirname, '..', 'src', 'main.ts');

describe('the emulator program', () => {
  const dir = tempDir('cli');
  after(() => removeDir(dir));

  it('prints its URL, account and key, serves, and stops on SIGTERM leaving no task processes', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--data-dir', join(dir, 'data')],
      {
        env: {
          ...process.env,
          BATCH_EMULATOR_PORT: '0',
          BATCH_EMULATOR_ALLOCATION_DELAY_MS: '20',
          BATCH_EMULATOR_NODE_START_DELAY_MS: '10',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const m =
        /^Azure Batch emulator at (http:\/\/127\.0\.0\.1:\d+) account=(\S+) key=(\S+) data=/.exec(
          line,
        );
      assert.ok(m, line);
      const [, url, accountName, accountKey] = m;
      assert.equal(accountName, 'devbatch');
      const health = (await (await fetch(`${url}/_emulator/health`)).json()) as { service: string };
      assert.equal(health.service, 'azure-batch-emulator');

      const client = batchClient({ url, accountName, accountKey });
      await client.pool.add(poolSpec('p', { targetDedicatedNodes: 1 }));
      await client.job.add({ id: 'j', poolInfo: { poolId: 'p' } });
      await client.task.add('j', { id: 't', commandLine: '/bin/bash -c "sleep 41.0417"' });
      const ps = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      await waitFor('task process', () => (ps().includes('sleep 41.0417') ? true : undefined));

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      assert.ok(!ps().includes('sleep 41.0417'), 'no task process is left behind');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses node CPUs that are not a CPU list, saying what it was given and what to give', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--data-dir', join(dir, 'refused')],
      {
        env: { ...process.env, BATCH_EMULATOR_PORT: '0', BATCH_EMULATOR_NODE_CPUS: 'the second' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, /node CPUs "the second" is not a CPU list: give CPU numbers and ranges/);
  });
});
