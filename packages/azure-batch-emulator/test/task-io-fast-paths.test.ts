// The per-task paths that avoid a helper process: files written and read in-process for the task
// user (owned-files.ts) must never reach further than the user's own rights, and the launcher
// (launcher.ts) must run, report and kill task processes as a direct spawn did.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { launcher } from '../src/runtime/launcher';
import { createFileOf, openFileOf } from '../src/runtime/owned-files';
import { ProcessTable } from '../src/runtime/process';
import { resolveTaskUsers, runAs } from '../src/runtime/task-user';
import { removeDir, tempDir, waitFor } from './helpers';

const AS_ROOT = process.getuid?.() === 0;
const users = resolveTaskUsers();
const user = runAs(users, false);

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('in-process files of the task user', { skip: !users.switching && 'not root' }, () => {
  const top = tempDir('fast');
  const wd = join(top, 'wd');
  mkdirSync(wd, { mode: 0o755 });
  chownSync(wd, user.uid, user.gid);
  after(() => removeDir(top));
  const own = (name: string, text: string, mode: number) => {
    const file = join(wd, name);
    writeFileSync(file, text);
    chownSync(file, user.uid, user.gid);
    chmodSync(file, mode);
    return file;
  };

  it('creates a new file of the user with the mode asked for', async () => {
    const file = join(wd, 'in.bin');
    const out = await createFileOf(user, wd, file, 0o640);
    assert.ok(out);
    await pipeline(Readable.from([Buffer.from('payload')]), out);
    const st = lstatSync(file);
    assert.equal(st.uid, user.uid);
    assert.equal(st.gid, user.gid);
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(readFileSync(file, 'utf8'), 'payload');
  });

  it('leaves a name that is taken (a planted symlink) and a subdirectory to the helper', async () => {
    const target = join(top, 'root-only.txt');
    writeFileSync(target, 'root', { mode: 0o600 });
    symlinkSync(target, join(wd, 'planted'));
    assert.equal(await createFileOf(user, wd, join(wd, 'planted'), 0o644), undefined);
    assert.equal(readFileSync(target, 'utf8'), 'root');
    assert.equal(await createFileOf(user, wd, join(wd, 'sub', 'x'), 0o644), undefined);
  });

  it('reads a regular file the user owns and may read', async () => {
    const file = own('out.txt', 'result', 0o600);
    const src = await openFileOf(user, [wd], file);
    assert.ok(src);
    assert.equal(src.size, 6);
    assert.equal(await readAll(src.stream), 'result');
  });

  it('refuses what only the kernel may decide: symlinks, others’ files, unreadable, FIFOs', async () => {
    const mine = own('mine.txt', 'mine', 0o644);
    symlinkSync(mine, join(wd, 'link.txt'));
    const rootFile = join(wd, 'root.txt');
    writeFileSync(rootFile, 'root', { mode: 0o644 });
    const unreadable = own('unreadable.txt', 'secret', 0o200);
    const fifo = join(wd, 'fifo');
    execFileSync('mkfifo', [fifo]);
    chownSync(fifo, user.uid, user.gid);
    for (const file of [join(wd, 'link.txt'), rootFile, unreadable, fifo, join(top, 'x')]) {
      assert.equal(await openFileOf(user, [wd], file), undefined, file);
    }
  });
});

describe('the launcher', () => {
  const dir = tempDir('launch');
  after(() => removeDir(dir));
  const table = new ProcessTable();
  const spec = (argv: string[], signal = new AbortController().signal) => ({
    argv,
    // The user may not reach a temporary directory: its files are opened by the launcher.
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', ONLY: 'this' },
    stdoutPath: join(dir, 'stdout.txt'),
    stderrPath: join(dir, 'stderr.txt'),
    signal,
    user: AS_ROOT && users.switching ? user : undefined,
  });

  it('runs a process with its environment, files and user, and reports its exit code', async () => {
    const r = await table.run(
      spec(['/bin/sh', '-c', 'echo "$ONLY $(id -u)"; echo err >&2; exit 3']),
    );
    assert.deepEqual(r, { kind: 'exited', exitCode: 3 });
    const uid = AS_ROOT && users.switching ? user.uid : process.getuid?.();
    assert.equal(readFileSync(join(dir, 'stdout.txt'), 'utf8'), `this ${uid}\n`);
    assert.equal(readFileSync(join(dir, 'stderr.txt'), 'utf8'), 'err\n');
    assert.equal(lstatSync(join(dir, 'stdout.txt')).uid, uid);
  });

  it('reports a missing program and a signal as a direct spawn did', async () => {
    const missing = await table.run(spec(['/no/such/program']));
    assert.equal(missing.kind, 'spawnError');
    assert.equal(missing.kind === 'spawnError' && missing.code, 'ENOENT');
    const killed = await table.run(spec(['/bin/sh', '-c', 'kill -9 $$']));
    assert.deepEqual(killed, { kind: 'exited', exitCode: 137 });
  });

  it('kills the whole process group on abort, and killAll waits for it', async () => {
    const abort = new AbortController();
    const running = table.run(spec(['/bin/sh', '-c', 'sleep 60 & echo $!; wait'], abort.signal));
    const pid = await waitFor(
      'the grandchild',
      () => Number(readFileSync(join(dir, 'stdout.txt'), 'utf8')) || undefined,
    );
    abort.abort();
    assert.deepEqual(await running, { kind: 'aborted' });
    await table.killAll();
    assert.equal(table.count, 0);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  // Last: it places the process-wide launcher, which the tests above must not see.
  it('runs task processes on the CPUs it is placed on, and refuses CPUs this machine lacks', async () => {
    const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    // The last CPU this process may use: with two or more, not the whole set.
    const last = allowed![1].split(/[,-]/).pop()!;
    assert.throws(() => launcher.placeOn('4095'), /cannot run task processes on CPUs 4095: /);
    launcher.placeOn(last);
    const r = await table.run(spec(['/bin/sh', '-c', 'grep Cpus_allowed_list /proc/self/status']));
    assert.deepEqual(r, { kind: 'exited', exitCode: 0 });
    assert.equal(readFileSync(join(dir, 'stdout.txt'), 'utf8'), `Cpus_allowed_list:\t${last}\n`);
  });
});
