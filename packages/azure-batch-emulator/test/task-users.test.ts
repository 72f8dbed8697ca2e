// Tasks are kept out of the emulator's own files: non-admin tasks run as an unprivileged user
// when the emulator is root (admin ones as root), the state, journal and log are 0600 in a 0711
// data directory, and what the emulator reads or writes in a task's directories on its behalf
// goes through the task user's rights. When the emulator is not root it cannot switch users:
// the tests then check what it can do (file modes), and one test runs it as `nobody` for real.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchServiceModels } from '@azure/batch';
import type { BatchEmulator } from '../src/index';
import { batchClient, poolSpec, removeDir, startTestEmulator, tempDir, waitFor } from './helpers';

const AS_ROOT = process.getuid?.() === 0;
const PACKAGE_ROOT = resolve(__dirname, '..');

/** uid and gid of an account, from getent. */
function account(name: string): { uid: number; gid: number } | undefined {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(
      ':',
    );
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

const modeOf = (path: string) => statSync(path).mode & 0o7777;

describe('task users: tasks are kept out of the emulator’s files', () => {
  // Below a mkdtemp directory (0700), as the local stack and the tutorial test put it.
  const top = tempDir('users');
  const dataDir = join(top, 'batch');
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;
  let files: Server;
  let filesUrl: string;
  const uploads = new Map<string, Buffer>();
  const clipDir = tempDir('users-clip');
  const clip = join(clipDir, 'clip.mp4');
  const logLine = 'emulator log: a line only the emulator may read\n';

  const completed = (jobId: string, taskId: string, timeoutMs = 30_000) =>
    waitFor(
      `${jobId}/${taskId} completed`,
      async () => {
        const t = await client.task.get(jobId, taskId);
        return t.state === 'completed' ? t : undefined;
      },
      timeoutMs,
    );
  const wd = (t: BatchServiceModels.CloudTask) =>
    join(dataDir, 'nodes/users', t.nodeInfo!.nodeId!, t.nodeInfo!.taskRootDirectory!, 'wd');
  const read = async (jobId: string, taskId: string, name: string) => {
    const file = await client.file.getFromTask(jobId, taskId, name);
    const chunks: Buffer[] = [];
    for await (const c of file.readableStreamBody!) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  };
  const run = async (id: string, task: Partial<BatchServiceModels.TaskAddParameter>) => {
    await client.task.add('job', { id, commandLine: 'true', ...task });
    const t = await completed('job', id);
    return {
      task: t,
      stdout: await read('job', id, 'stdout.txt'),
      stderr: await read('job', id, 'stderr.txt'),
    };
  };

  before(async () => {
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', 'testsrc=duration=2:size=160x120:rate=10', '-f', 'lavfi'],
      ...['-i', 'sine=duration=2', '-shortest', '-c:v', 'libx264', '-c:a', 'aac', clip],
    ]);
    files = createServer((req, res) => {
      if (req.method === 'PUT') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          uploads.set(new URL(req.url!, 'http://x').pathname, Buffer.concat(chunks));
          res.writeHead(201).end();
        });
      } else if (req.url?.startsWith('/clip.mp4')) {
        res.writeHead(200).end(readFileSync(clip));
      } else if (req.url?.startsWith('/ok')) {
        res.writeHead(200).end('payload');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    // As the local stack does: the emulator's output goes to a log in its data directory.
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'emulator.log'), logLine, { mode: 0o644 });
    emu = await startTestEmulator({ dataDir });
    client = batchClient(emu);
    await client.pool.add(
      poolSpec('users', {
        targetDedicatedNodes: 1,
        taskSlotsPerNode: 4,
        userAccounts: [
          { name: 'worker', password: 'W0rker!pass', elevationLevel: 'nonadmin' },
          { name: 'boss', password: 'B0ss!pass', elevationLevel: 'admin' },
        ],
        // The tutorial's start task: apt-get as an admin auto-user.
        startTask: {
          commandLine: '/bin/bash -c "apt-get update && apt-get install -y ffmpeg"',
          userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
          waitForSuccess: true,
        },
      }),
    );
    // A restart writes the snapshot (state.json); the job then goes to the journal.
    await emu.stop();
    emu = await startTestEmulator({ dataDir });
    client = batchClient(emu);
    await client.job.add({ id: 'job', poolInfo: { poolId: 'users' } });
    await waitFor('node idle', async () => {
      const [n] = await client.computeNode.list('users');
      return n?.state === 'idle' ? n : undefined;
    });
  });
  after(async () => {
    await emu?.stop();
    files?.close();
    removeDir(top);
    removeDir(clipDir);
  });

  it('runs the tutorial’s admin start task (apt-get install -y ffmpeg) as root', async () => {
    const [node] = await client.computeNode.list('users');
    assert.equal(node.startTaskInfo?.result, 'success');
    assert.equal(node.startTaskInfo?.exitCode, 0);
  });

  it('runs non-admin tasks as an unprivileged user and admin ones as the emulator’s user', async () => {
    const script =
      '/bin/bash -c "id -u; id -g; id -G; touch $HOME/probe && echo home-ok; ' +
      'touch $AZ_BATCH_NODE_SHARED_DIR/shared-$AZ_BATCH_TASK_ID && echo shared-ok; ' +
      'touch made-here && echo wd-ok; env"';
    const plain = await run('who-plain', { commandLine: script });
    const worker = await run('who-worker', {
      commandLine: script,
      userIdentity: { userName: 'worker' },
    });
    const admin = await run('who-admin', {
      commandLine: script,
      userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
    });
    const boss = await run('who-boss', { commandLine: script, userIdentity: { userName: 'boss' } });
    for (const r of [plain, worker, admin, boss]) {
      assert.equal(r.task.executionInfo?.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^home-ok$/m);
      assert.match(r.stdout, /^shared-ok$/m);
      assert.match(r.stdout, /^wd-ok$/m);
      // No secret in the environment: AZ_BATCH_* and a fresh node's variables only.
      assert.ok(!r.stdout.includes(emu.accountKey), 'the account key is in a task environment');
    }
    const ids = (r: { stdout: string }) => r.stdout.split('\n').slice(0, 3);
    const me = String(process.getuid?.());
    if (AS_ROOT) {
      const user = account('_azbatch') ?? account('nobody')!;
      for (const r of [plain, worker]) {
        const [uid, gid, groups] = ids(r);
        assert.notEqual(uid, '0');
        assert.equal(uid, String(user.uid));
        assert.equal(gid, String(user.gid));
        assert.equal(groups, String(user.gid), 'supplementary groups are dropped');
        assert.match(r.stdout, new RegExp(`^USER=(_azbatch|nobody)$`, 'm'));
      }
      for (const r of [admin, boss]) assert.equal(ids(r)[0], '0');
      // The working directory and what the task made there are the task user's.
      const made = join(wd(plain.task), 'made-here');
      assert.equal(statSync(made).uid, user.uid);
      assert.equal(statSync(join(wd(admin.task), 'made-here')).uid, 0);
    } else {
      for (const r of [plain, worker, admin, boss]) assert.equal(ids(r)[0], me);
    }
  });

  it('denies a non-admin task the state, the journal, the log and the emulator process', async () => {
    const state = join(dataDir, 'state.json');
    const journal = join(dataDir, 'state.journal');
    const log = join(dataDir, 'emulator.log');
    for (const f of [state, journal, log]) {
      assert.ok(existsSync(f), `${f} exists`);
      assert.equal(modeOf(f), 0o600, `${f} is 0600`);
    }
    assert.equal(modeOf(dataDir), AS_ROOT ? 0o711 : 0o700);
    if (!AS_ROOT) return; // the task runs as the emulator's user: the modes are what protects
    // The emulator (this process) and the launcher that started the task (its parent).
    const emulatorProc = [`/proc/${process.pid}/environ`, `/proc/${process.pid}/mem`];
    const targets = [
      state,
      journal,
      log,
      ...emulatorProc,
      '/proc/$PPID/environ',
      '/proc/$PPID/mem',
    ];
    const r = await run('snoop', {
      commandLine: `/bin/bash -c "echo parent=$PPID; cat ${targets.join(' ')} ; ls ${dataDir}"`,
    });
    assert.notEqual(r.task.executionInfo?.exitCode, 0);
    assert.equal(r.task.executionInfo?.result, 'failure');
    const parent = /parent=(\d+)/.exec(r.stdout)?.[1];
    assert.ok(parent, r.stdout);
    for (const f of targets) {
      const shown = f.replace('$PPID', parent);
      assert.match(r.stderr, new RegExp(`cat: ${shown}: Permission denied`), r.stderr);
    }
    assert.match(r.stderr, /ls: cannot open directory .*: Permission denied/);
    assert.ok(!r.stdout.includes('emulator log'), 'the log leaked');
    assert.ok(!r.stdout.includes(emu.accountKey), 'the key leaked');
    // An admin task is root, as on Batch: it can.
    const root = await run('snoop-admin', {
      commandLine: `/bin/bash -c "cat ${state} > /dev/null && echo readable"`,
      userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
    });
    assert.match(root.stdout, /readable/);
    // The mkdtemp directory above the data directory got search permission, not listing.
    assert.equal(modeOf(dirname(dataDir)), 0o701);
  });

  it('lets a non-admin task convert an mp4 with ffmpeg; its mp3 is uploaded', async () => {
    const r = await run('convert', {
      commandLine:
        '/bin/bash -c "ffmpeg -hide_banner -loglevel error -i clip.mp4 clip.mp3 && id -u > uid.txt"',
      resourceFiles: [{ httpUrl: `${filesUrl}/clip.mp4?sv=x&sig=secret`, filePath: 'clip.mp4' }],
      outputFiles: ['clip.mp3', 'uid.txt'].map((filePattern) => ({
        filePattern,
        destination: { container: { containerUrl: `${filesUrl}/output?sv=x&sig=secret` } },
        uploadOptions: { uploadCondition: 'tasksuccess' },
      })),
    });
    assert.equal(r.task.executionInfo?.result, 'success', r.stderr);
    const mp3 = uploads.get('/output/clip.mp3');
    assert.ok(mp3 && mp3.length > 1000, 'the mp3 was uploaded');
    assert.ok(mp3.subarray(0, 3).toString() === 'ID3' || mp3[0] === 0xff, 'an mp3');
    const uid = uploads.get('/output/uid.txt')?.toString().trim();
    if (AS_ROOT) {
      assert.notEqual(uid, '0');
      // The resource file the emulator downloaded belongs to the task's user.
      assert.equal(String(statSync(join(wd(r.task), 'clip.mp4')).uid), uid);
      assert.equal(String(statSync(wd(r.task)).uid), uid);
      assert.equal(modeOf(join(wd(r.task), 'clip.mp4')), 0o770);
    } else {
      assert.equal(uid, String(process.getuid?.()));
    }
  });

  it('uploads nothing through a symlink to a file the task may not read', async (t) => {
    if (!AS_ROOT) return t.skip('the emulator is not root: tasks run as its user and may read it');
    const r = await run('leak-out', {
      commandLine: `/bin/bash -c "ln -s ${join(dataDir, 'state.json')} leak.json"`,
      outputFiles: [
        {
          filePattern: 'leak.json',
          destination: { container: { containerUrl: `${filesUrl}/output?sig=secret` } },
          uploadOptions: { uploadCondition: 'taskcompletion' },
        },
      ],
    });
    assert.equal(r.task.executionInfo?.failureInfo?.code, 'FileUploadMiscError');
    const message = r.task.executionInfo?.failureInfo?.details?.find((d) => d.name === 'Message');
    assert.match(message?.value ?? '', /Permission denied/);
    assert.ok(!uploads.has('/output/leak.json'), 'the state was uploaded');
  });

  it('writes no resource file through a symlink the task planted', async (t) => {
    if (!AS_ROOT) return t.skip('the emulator is not root: tasks run as its user');
    const log = join(dataDir, 'emulator.log');
    const before = readFileSync(log, 'utf8');
    // The first try swaps its resource file for a symlink to the log and fails; the retry's
    // download must not follow it with the emulator's rights.
    const r = await run('leak-in', {
      commandLine: `/bin/bash -c "rm -f in.txt && ln -s ${log} in.txt && exit 3"`,
      resourceFiles: [{ httpUrl: `${filesUrl}/ok`, filePath: 'in.txt' }],
      constraints: { maxTaskRetryCount: 1 },
    });
    assert.equal(r.task.executionInfo?.retryCount, 1);
    assert.equal(r.task.executionInfo?.failureInfo?.code, 'BlobDownloadMiscError');
    const message = r.task.executionInfo?.failureInfo?.details?.find((d) => d.name === 'Message');
    assert.match(message?.value ?? '', /Permission denied/);
    assert.equal(readFileSync(log, 'utf8'), before);
  });

  it('as a user that is not root, runs every task as that user and says so', async (t) => {
    if (!AS_ROOT) return t.skip('already not root: the tests above checked that case');
    const nobody = account('nobody');
    if (!nobody) return t.skip('no nobody account');
    const dir = tempDir('not-root');
    const data = join(dir, 'data');
    execFileSync('install', ['-d', '-o', String(nobody.uid), '-g', String(nobody.gid), data]);
    chownSync(dir, nobody.uid, nobody.gid);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--port', '0', '--data-dir', data],
      {
        cwd: PACKAGE_ROOT,
        uid: nobody.uid,
        gid: nobody.gid,
        env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const line = await waitFor(
        'the emulator as nobody',
        () => /at (http\S+) account=(\S+) key=(\S+)/.exec(stdout) ?? undefined,
        30_000,
      );
      // stdout and stderr are separate pipes: the warning may arrive after the URL line.
      await waitFor(
        'the not-root warning',
        () => (/not root: it cannot switch users/.test(stderr) ? true : undefined),
        10_000,
      );
      const other = batchClient({ url: line[1], accountName: line[2], accountKey: line[3] });
      await other.pool.add(poolSpec('p', { targetDedicatedNodes: 1 }));
      await other.job.add({ id: 'j', poolInfo: { poolId: 'p' } });
      await other.task.add('j', {
        id: 'who',
        commandLine: '/bin/bash -c "id -u"',
        userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
      });
      const done = await waitFor(
        'task done',
        async () => {
          const task = await other.task.get('j', 'who');
          return task.state === 'completed' ? task : undefined;
        },
        30_000,
      );
      assert.equal(done.executionInfo?.exitCode, 0);
      const out = await other.file.getFromTask('j', 'who', 'stdout.txt');
      const chunks: Buffer[] = [];
      for await (const c of out.readableStreamBody!) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString().trim(), String(nobody.uid));
      assert.equal(modeOf(data), 0o700);
      assert.equal(modeOf(join(data, 'state.journal')), 0o600);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      removeDir(dir);
    }
  });
});
