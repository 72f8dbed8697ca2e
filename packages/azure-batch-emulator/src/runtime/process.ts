import { constants } from 'node:os';
import { launcher, type LaunchEvent } from './launcher';

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

function killGroup(pid: number): void {
  try {
    // Negative pid: the whole process group, so `bash -c "ffmpeg ..."` loses ffmpeg too.
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
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

/** A started process until it has really exited (an aborted run returns before that). */
interface Live {
  pid?: number;
  gone: Promise<void>;
}

const exitCode = (e: Extract<LaunchEvent, { t: 'exit' }>) =>
  e.code ?? (e.signal ? 128 + (constants.signals[e.signal] ?? 0) : -1);

/**
 * Runs task processes (through the launcher, see launcher.ts), each in its own process group,
 * and can kill every one of them.
 */
export class ProcessTable {
  private live = new Set<Live>();

  get count(): number {
    return this.live.size;
  }

  run(spec: ProcessSpec): Promise<ProcessResult> {
    if (spec.signal.aborted) return Promise.resolve({ kind: 'aborted' });
    return new Promise<ProcessResult>((resolve, reject) => {
      let forget!: () => void;
      const entry: Live = { gone: new Promise<void>((r) => (forget = r)) };
      this.live.add(entry);
      let settled = false;
      const settle = () => {
        const first = !settled;
        settled = true;
        spec.signal.removeEventListener('abort', onAbort);
        return first;
      };
      const done = (r: ProcessResult) => {
        if (settle()) resolve(r);
      };
      const onAbort = () => {
        if (entry.pid !== undefined) killGroup(entry.pid);
        done({ kind: 'aborted' });
      };
      spec.signal.addEventListener('abort', onAbort);
      launcher.launch(spec, (e) => {
        if (e.t === 'started') {
          entry.pid = e.pid;
          // Aborted while it was being started.
          if (settled) killGroup(e.pid);
          return;
        }
        this.live.delete(entry);
        forget();
        switch (e.t) {
          case 'exit':
            return done({ kind: 'exited', exitCode: exitCode(e) });
          case 'error':
            return done({ kind: 'spawnError', code: e.code, message: e.message });
          case 'fail':
            if (settle()) reject(new Error(e.message));
            return;
          case 'lost':
            if (entry.pid !== undefined) killGroup(entry.pid);
            return done({
              kind: 'spawnError',
              code: 'ELAUNCHER',
              message: 'the process launcher exited',
            });
        }
      });
    });
  }

  /**
   * Kills every process group and waits (boundedly) until they are gone, so that a stopped
   * emulator leaves no task process behind.
   */
  async killAll(timeoutMs = 5000): Promise<void> {
    const entries = [...this.live];
    for (const e of entries) if (e.pid !== undefined) killGroup(e.pid);
    const deadline = Date.now() + timeoutMs;
    await Promise.race([Promise.all(entries.map((e) => e.gone)), sleep(timeoutMs)]);
    for (const e of entries) {
      while (e.pid !== undefined && groupAlive(e.pid) && Date.now() < deadline) await sleep(10);
    }
  }
}
