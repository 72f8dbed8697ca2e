// File access on a task's behalf with the task user's permissions. The emulator (root) writes
// resource files into, and reads output files from, directories the task controls: done as root,
// a symlink the task left there would make it write or read any file of the machine (the state
// journal with other jobs' SAS URLs, say). A small shell running as the task's user does the
// open instead, so the kernel checks the task's rights; the bytes go through its stdin/stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RunAs } from './task-user';

/** The task's user may not do it: the message is the helper's (`... Permission denied`). */
export class AsUserError extends Error {}

/** A helper process as `user`, in the filesystem root, with a minimal environment. */
function helper(user: RunAs, script: string, args: string[], signal: AbortSignal): ChildProcess {
  return spawn('/bin/sh', ['-c', script, 'sh', ...args], {
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    uid: user.uid,
    gid: user.gid,
    stdio: ['pipe', 'pipe', 'pipe'],
    signal,
  });
}

function collect(stream: Readable | null): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (text.length < 4096) text += chunk;
  });
  return () => text.trim();
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1)));
  });
}

/**
 * Writes `source` to `file` (creating its directory) as `user`, then sets `mode`. Rejects with
 * the helper's message (e.g. `Permission denied`) when the user may not.
 */
export async function writeFileAs(
  user: RunAs,
  file: string,
  dir: string,
  mode: number,
  source: Readable,
  signal: AbortSignal,
): Promise<void> {
  const child = helper(
    user,
    '[ -d "$1" ] || mkdir -p -- "$1" || exit 1; cat > "$2" || exit 1; exec chmod -- "$3" "$2"',
    [dir, file, mode.toString(8)],
    signal,
  );
  const stderr = collect(child.stderr);
  child.stdout?.resume();
  const code = exited(child);
  code.catch(() => undefined);
  // A helper that fails early closes its stdin (EPIPE here): its exit code says why.
  const piped = await pipeline(source, child.stdin!).then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  if ((await code) !== 0) throw new AsUserError(stderr() || `could not write ${file}`);
  if (piped instanceof Error && !isPipeError(piped)) throw piped;
}

const isPipeError = (err: unknown) =>
  ['EPIPE', 'ERR_STREAM_DESTROYED'].includes((err as NodeJS.ErrnoException).code ?? '');

/** The helper's first line, the file's size; undefined if it ends (or fails) without one. */
function readHeader(out: Readable, code: Promise<number>): Promise<number | undefined> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    let settled = false;
    const finish = (size: number | undefined) => {
      if (settled) return;
      settled = true;
      out.off('readable', onReadable);
      out.off('end', onEnd);
      resolve(size);
    };
    const onEnd = () => finish(undefined);
    const onReadable = () => {
      let chunk: Buffer | null;
      while (!settled && (chunk = out.read() as Buffer | null) !== null) {
        head = Buffer.concat([head, chunk]);
        const nl = head.indexOf(10);
        if (nl < 0) continue;
        const rest = head.subarray(nl + 1);
        if (rest.length > 0) out.unshift(rest);
        const n = Number(head.subarray(0, nl).toString());
        finish(Number.isSafeInteger(n) && n >= 0 ? n : undefined);
      }
    };
    out.on('readable', onReadable);
    out.on('end', onEnd);
    code.then(
      () => finish(undefined),
      () => finish(undefined),
    );
  });
}

export interface OpenedFile {
  size: number;
  stream: Readable;
  /** Resolves once the helper has exited; rejects if it failed part way. */
  done: Promise<void>;
}

/**
 * Opens `file` for reading as `user`: the helper opens it (as its stdin, so a failure happens
 * before anything is read), prints its size on a line, then its bytes.
 */
export async function openFileAs(
  user: RunAs,
  file: string,
  signal: AbortSignal,
): Promise<OpenedFile> {
  const child = helper(
    user,
    'exec < "$1" || exit 1; stat -L -c %s /dev/stdin || exit 1; exec cat',
    [file],
    signal,
  );
  child.stdin?.end();
  const stderr = collect(child.stderr);
  const code = exited(child);
  code.catch(() => undefined);
  const out = child.stdout!;
  const size = await readHeader(out, code);
  if (size === undefined) {
    out.destroy();
    child.kill('SIGKILL');
    await code.catch(() => undefined);
    if (signal.aborted) throw new Error(`reading ${file} was aborted`);
    throw new AsUserError(stderr() || `could not read ${file}`);
  }
  const done = code.then((c) => {
    if (c !== 0) throw new AsUserError(stderr() || `could not read ${file}`);
  });
  done.catch(() => undefined);
  return { size, stream: out, done };
}
