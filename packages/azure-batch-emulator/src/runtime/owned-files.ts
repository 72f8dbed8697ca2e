// The common cases of as-user.ts done in-process, without a helper process per file (a spawn
// from the emulator's large process is most of a task's cost). Taken only where the emulator's
// rights cannot reach further than the task user's: a file directly in a directory whose path
// the task cannot change (its working directory and task directory sit in directories of the
// emulator's), named without following a symlink. Anything else (a file that is there already, a
// symlink, a subdirectory, a file the user's mode bits do not plainly allow) goes to as-user.ts,
// where the kernel decides with the user's rights.
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { RunAs } from './task-user';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** Errors that mean "not the simple case": the caller asks the task user's helper instead. */
const NOT_SIMPLE = new Set(['EEXIST', 'ELOOP', 'EISDIR', 'ENOTDIR', 'ENXIO', 'ENOENT']);

const notSimple = (err: unknown) => NOT_SIMPLE.has((err as NodeJS.ErrnoException).code ?? '');

/**
 * A new file of `user` in `dir` (a working directory this attempt created: nothing of the task's
 * is in it, so the user could create the file too), or undefined when `file` is not directly in
 * it or something already has its name. O_EXCL never follows a symlink planted meanwhile.
 */
export async function createFileOf(
  user: RunAs,
  dir: string,
  file: string,
  mode: number,
): Promise<Writable | undefined> {
  if (dirname(file) !== dir) return undefined;
  let handle: FileHandle;
  try {
    handle = await open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (notSimple(err)) return undefined;
    throw err;
  }
  try {
    await handle.chown(user.uid, user.gid);
    // Before any byte: the mode asked for, whatever the umask.
    await handle.chmod(mode);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return createWriteStream('', { fd: handle });
}

/** Whether `st` is a regular file of `user` that its owner may read. */
function readableOwnFile(st: { mode: number; uid: number; gid: number }, user: RunAs): boolean {
  return (
    (st.mode & constants.S_IFMT) === constants.S_IFREG &&
    st.uid === user.uid &&
    (st.mode & 0o400) !== 0
  );
}

export interface OwnedSource {
  size: number;
  stream: Readable;
  done: Promise<void>;
}

/**
 * Opens `file` for reading when it lies directly in one of `dirs`, is not a symlink and is a
 * regular file the user owns and may read (the owner's bits are exact; other files could carry
 * an ACL, which only the kernel reads): undefined otherwise.
 */
export async function openFileOf(
  user: RunAs,
  dirs: readonly string[],
  file: string,
): Promise<OwnedSource | undefined> {
  if (!dirs.includes(dirname(file))) return undefined;
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted there must not hang the open (it is refused below).
    handle = await open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (notSimple(err)) return undefined;
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!readableOwnFile(st, user)) {
      await handle.close();
      return undefined;
    }
    return { size: st.size, stream: createReadStream('', { fd: handle }), done: Promise.resolve() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
