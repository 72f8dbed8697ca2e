// File modes and owners that keep tasks out of the emulator's own files while letting each task
// reach its node: the data directory is 0711 (0700 when no task runs as another user), the
// state, journal and log in it 0600; node directories are root's and traversable, a task's
// working directory and home belong to the user it runs as.
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { RunAs, TaskUsers } from './task-user';

/** Directories of the data directory that tasks must reach (or the shims they run). */
const PUBLIC_ENTRIES: Record<string, number> = { nodes: 0o711, image: 0o755 };

/** The emulator's own files there: state, journals, temp snapshots, a log a parent writes. */
const PRIVATE_FILE = /^state\.(json|journal)|\.log$/;

function traversableBy(st: { mode: number; uid: number; gid: number }, uid: number, gid: number) {
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  if (st.gid === gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * At start: the data directory 0711 (0700 when no task runs as another user), the state files
 * and logs in it 0600, `nodes/` 0711 and `image/` 0755 (anything else there is left alone: the
 * data directory may be shared). When tasks run as another user, the directories above the data
 * directory get search permission (o+x, never read) where that user lacks it (a mkdtemp
 * directory is 0700), so that a task can reach its node.
 */
export function protectDataDir(dataDir: string, users: TaskUsers, log: (l: string) => void) {
  chmodSync(dataDir, users.switching ? 0o711 : 0o700);
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    const path = join(dataDir, entry.name);
    try {
      if (entry.isDirectory() && entry.name in PUBLIC_ENTRIES) {
        chmodSync(path, PUBLIC_ENTRIES[entry.name]);
      } else if (entry.isFile() && PRIVATE_FILE.test(entry.name)) {
        chmodSync(path, 0o600);
      }
    } catch (err) {
      log(`could not protect ${path}: ${String(err)}`);
    }
  }
  if (!users.switching) return;
  const { uid, gid } = users.nonAdmin;
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const st = statSync(dir);
    if (!traversableBy(st, uid, gid)) {
      chmodSync(dir, (st.mode & 0o7777) | 0o001);
      log(`${dir}: added o+x (search only) so that tasks can reach their node directories`);
    }
    if (dirname(dir) === dir) break;
  }
}

/** The process's umask, read once (reading it means setting it back); all bits if unknown. */
const UMASK = (() => {
  try {
    const mask = process.umask(0o022);
    process.umask(mask);
    return mask;
  } catch {
    return 0o777; // a worker thread may not: chmod always
  }
})();

/** A new directory with `mode` whatever the umask: a chmod only when the umask masks it. */
async function mkdirWithMode(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { mode });
  if ((mode & UMASK) !== 0) await chmod(dir, mode);
}

/**
 * Creates `rel` below `base` one level at a time, each new directory with `mode` whatever the
 * umask (mkdir's mode is masked by it).
 */
export async function makeDirs(base: string, rel: string, mode: number): Promise<void> {
  let dir = base;
  for (const part of rel.split(sep).filter(Boolean)) {
    dir = join(dir, part);
    try {
      await mkdirWithMode(dir, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * A booting node's directories: `nodes/` and the pool's directory traversable only (0711), the
 * node root and its subdirectories root's and 0755, `shared/` writable by the non-admin user.
 */
export async function prepareNodeDirs(
  dataDir: string,
  root: string,
  subdirs: string[],
  users: TaskUsers,
): Promise<void> {
  const nodes = join(dataDir, 'nodes');
  await mkdir(nodes, { recursive: true });
  await chmod(nodes, 0o711);
  const [pool] = relative(nodes, root).split(sep);
  await makeDirs(nodes, pool, 0o711);
  await chmod(join(nodes, pool), 0o711);
  await makeDirs(nodes, relative(nodes, root), 0o755);
  await Promise.all(subdirs.map((d) => makeDirs(root, d, 0o755)));
  if (users.switching) {
    const shared = join(root, 'shared');
    await lchown(shared, users.nonAdmin.uid, users.nonAdmin.gid);
    await chmod(shared, 0o775);
  }
}

const IS_ROOT = process.getuid?.() === 0;

/** Whether `dir` is a directory of `user` (as root) or a directory at all; false when absent. */
async function isReady(dir: string, user: RunAs): Promise<boolean> {
  const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return false;
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  return !IS_ROOT || (st.uid === user.uid && st.gid === user.gid);
}

/**
 * A directory the task owns (its working directory, its home) inside one the emulator owns:
 * created if missing, then given to the task's user. The parent is the emulator's, so the task
 * cannot have put a symlink in its place; lstat checks anyway.
 */
async function ownedDir(dir: string, user: RunAs, mode: number): Promise<boolean> {
  let created = false;
  try {
    await mkdirWithMode(dir, mode);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // Only root can give a directory away (and must, when a task's user changed).
  if (!IS_ROOT) return created;
  // Just made by this process: a directory, and nobody else's yet.
  if (created) {
    await lchown(dir, user.uid, user.gid);
    return true;
  }
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== user.uid || st.gid !== user.gid) await lchown(dir, user.uid, user.gid);
  return false;
}

/**
 * The task directory: mostly a new one in a job directory that exists, so that is tried first
 * (one mkdir instead of one per level); the whole chain when a parent is missing.
 */
async function makeTaskDir(nodeRoot: string, dir: string): Promise<void> {
  try {
    await mkdirWithMode(dir, 0o755);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // a retry or a requeue: its mode is set already
    if (code !== 'ENOENT') throw err;
    return makeDirs(nodeRoot, relative(nodeRoot, dir), 0o755);
  }
}

/**
 * Before an attempt: the task directory (the emulator's: it writes stdout.txt, stderr.txt and the
 * upload logs there), the working directory and the home directory owned by the task's user.
 * The home outlives tasks (every task of the user on the node shares it): one lstat when ready.
 * True when this call created the working directory (a first attempt: nothing of the task's in it).
 */
export async function prepareTaskDirs(
  nodeRoot: string,
  taskDir: string,
  workingDir: string,
  home: string,
  user: RunAs,
): Promise<boolean> {
  await makeTaskDir(nodeRoot, taskDir);
  const fresh = await ownedDir(workingDir, user, 0o755);
  if (await isReady(home, user)) return fresh;
  await makeDirs(nodeRoot, relative(nodeRoot, dirname(home)), 0o755);
  await ownedDir(home, user, 0o700);
  return fresh;
}
