import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { BatchEmulator } from '../src/index';
import { removeDir, startTestEmulator, waitFor } from './helpers';

const run = promisify(execFile);
const CACHE = join(homedir(), '.cache', 'durable-batch');
const SCRIPTS = join(__dirname, 'python');

/** A virtualenv per client version, kept in the user's cache outside the repo and reused. */
async function pythonEnv(name: string, requirements: string[]): Promise<string> {
  const dir = join(CACHE, `pyenv-${name}`);
  const python = join(dir, 'bin', 'python');
  if (existsSync(python)) {
    try {
      await run(python, ['-c', 'import azure.batch']);
      return python;
    } catch {
      // A half-made environment: install into it again.
    }
  }
  await run('python3', ['-m', 'venv', dir]);
  await run(python, ['-m', 'pip', 'install', '--quiet', ...requirements], { timeout: 300_000 });
  return python;
}

async function runScript(
  python: string,
  script: string,
  emu: BatchEmulator,
  tasks: number,
  prefix: string,
) {
  const { stdout } = await run(
    python,
    [join(SCRIPTS, script), emu.url, emu.accountName, emu.accountKey, String(tasks), prefix],
    { timeout: 120_000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line in:\n${stdout}`);
  assert.match(stdout, /Success! All tasks reached the 'Completed' state/);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
}

describe('Python clients drive the emulator through the tutorial sequence', () => {
  let emu: BatchEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('azure-batch 6.0.0 (api 2018-12-01.8.0): pool, job, 105 tasks in chunks, completion, delete', async () => {
    const python = await pythonEnv('azure-batch-6.0.0', ['azure-batch==6.0.0', 'msrest']);
    const r = await runScript(python, 'tutorial_v6.py', emu, 105, 'V6');
    assert.equal(r.listed, 105);
    assert.equal(r.completed, 105);
    assert.deepEqual(r.exitCodes, [0]);
    assert.equal(r.succeeded, 105);
    assert.equal(r.maxTasksPerNode, 2);
    assert.equal(r.lowPriorityNodes, 2);
    assert.deepEqual(r.startTaskExit, [0]);
    assert.equal(r.poolExists, 'PoolExists');
    assert.equal(r.stdout, 'converted Task0\n');
  });

  it('azure-batch latest (15.x, api 2025-06-01): the same sequence with BatchClient', async () => {
    const python = await pythonEnv('azure-batch-latest', ['azure-batch']);
    const r = await runScript(python, 'tutorial_latest.py', emu, 105, 'Latest');
    assert.equal(r.listed, 105);
    assert.equal(r.completed, 105);
    assert.deepEqual(r.exitCodes, [0]);
    assert.equal(r.succeeded, 105);
    assert.equal(r.taskSlotsPerNode, 2);
    assert.equal(r.poolExists, 'PoolExists');
    assert.equal(r.stdout, 'converted Task0\n');
  });

  it('counted each call: two of everything created, chunked task adds, nothing left', async () => {
    const stats = await waitFor('all deleted', () => {
      const s = emu.stats();
      return s.live.pools === 0 && s.live.jobs === 0 ? s : undefined;
    });
    assert.deepEqual(stats.created, { pools: 2, jobs: 2, tasks: 210 });
    assert.deepEqual(stats.operations.Pool_Add, { '201': 2, '409': 2 });
    assert.deepEqual(stats.operations.Task_AddCollection, { '200': 4 });
    assert.equal(stats.operations.Pool_Delete['202'], 2);
    assert.equal(stats.operations.Job_Delete['202'], 2);
  });
});
