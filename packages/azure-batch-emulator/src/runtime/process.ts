import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { constants } from 'node:os';

export interface ProcessSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
  signal: AbortSignal;
  /** Run as this user (the emulator must be root); its stdout.txt and stderr.txt become its own. */
  user?: { uid: number; gid: number };
}

export type ProcessResult =
  | { kind: 'exited'; exitCode: number }
  | { kind: 'spawnError'; code: string; message: string }
  | { kind: 'aborted' };

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole process group, so `bash -c "ffmpeg ..."` loses ffmpeg too.
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs task processes, each in its own process group, and can kill every one of them. */
export class ProcessTable {
  /** Children until they have really exited (an aborted run returns before that). */
  private live = new Map<ChildProcess, Promise<void>>();

  get count(): number {
    return this.live.size;
  }

  async run(spec: ProcessSpec): Promise<ProcessResult> {
    if (spec.signal.aborted) return { kind: 'aborted' };
    // Opened off the event loop: creating a file can take a good part of a millisecond.
    const [out, err] = await Promise.all([open(spec.stdoutPath, 'w'), open(spec.stderrPath, 'w')]);
    const closeFiles = () => Promise.all([out.close(), err.close()]);
    if (spec.user) {
      const { uid, gid } = spec.user;
      try {
        await Promise.all([out.chown(uid, gid), err.chown(uid, gid)]);
      } catch (e) {
        await closeFiles();
        throw e;
      }
    }
    if (spec.signal.aborted) {
      await closeFiles();
      return { kind: 'aborted' };
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.argv[0], spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', out.fd, err.fd],
        detached: true,
        // With uid/gid, libuv also drops the supplementary groups (setgroups(0)) before exec.
        ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
      });
    } catch (e) {
      await closeFiles();
      throw e;
    }
    // Listeners before any await: a spawn error is emitted on the next tick.
    this.live.set(
      child,
      new Promise<void>((gone) => {
        const forget = () => {
          this.live.delete(child);
          gone();
        };
        child.once('exit', forget);
        child.once('error', forget);
      }),
    );
    const result = new Promise<ProcessResult>((resolve) => {
      let settled = false;
      const done = (r: ProcessResult) => {
        if (settled) return;
        settled = true;
        spec.signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = () => {
        killGroup(child);
        done({ kind: 'aborted' });
      };
      spec.signal.addEventListener('abort', onAbort);
      child.on('error', (e: NodeJS.ErrnoException) =>
        done({ kind: 'spawnError', code: e.code ?? 'EUNKNOWN', message: e.message }),
      );
      child.on('exit', (code, signal) => {
        // A group member may outlive the leader; it must not keep a slot's work running.
        killGroup(child);
        const bySignal = signal ? 128 + (constants.signals[signal] ?? 0) : undefined;
        done({ kind: 'exited', exitCode: code ?? bySignal ?? -1 });
      });
    });
    // The child has its own copies of the descriptors.
    await closeFiles();
    return result;
  }

  /**
   * Kills every process group and waits (boundedly) until they are gone, so that a stopped
   * emulator leaves no task process behind.
   */
  async killAll(timeoutMs = 5000): Promise<void> {
    const children = [...this.live.entries()];
    for (const [child] of children) killGroup(child);
    const deadline = Date.now() + timeoutMs;
    await Promise.race([Promise.all(children.map(([, gone]) => gone)), sleep(timeoutMs)]);
    for (const [child] of children) {
      while (child.pid !== undefined && groupAlive(child.pid) && Date.now() < deadline) {
        await sleep(10);
      }
    }
  }
}
