// Task processes are started by a small long-lived helper (the launcher, one per emulator
// process, started on first use) rather than by the emulator itself: fork/exec costs in
// proportion to the forking process's memory, and the emulator's is several times the
// launcher's. It runs as the emulator's user, so it can give a task its user as before.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { LAUNCHER_SOURCE } from './launcher-source';

export interface LaunchRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
  user?: { uid: number; gid: number };
}

/** What the launcher says about one request; `lost` when the launcher itself went away. */
export type LaunchEvent =
  | { t: 'started'; pid: number }
  | { t: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'error'; code: string; message: string }
  | { t: 'fail'; message: string }
  | { t: 'lost' };

type Listener = (event: LaunchEvent) => void;

class Launcher {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Listener>();
  /** The CPUs the launcher, and so every task it starts, may run on; unset, any. */
  private cpus: string | undefined;

  /**
   * Task processes from now on run on `cpus` only (a taskset list): the launcher is started
   * under taskset, and its children inherit its CPUs. Checked here, so that a list this machine
   * cannot honour, or a missing taskset, stops the emulator's start with the reason.
   */
  placeOn(cpus: string): void {
    const probe = spawnSync('taskset', ['-c', cpus, 'true'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      const why = probe.error
        ? `${probe.error.message} (taskset comes with util-linux)`
        : probe.stderr.trim();
      throw new Error(`cannot run task processes on CPUs ${cpus}: ${why}`);
    }
    this.cpus = cpus;
    // A launcher already running keeps its CPUs: the next task starts a new one.
    if (this.child && this.pending.size === 0) {
      this.child.stdin?.end();
      this.child = undefined;
    }
  }

  launch(req: LaunchRequest, listener: Listener): void {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    this.pending.set(id, listener);
    if (this.pending.size === 1) this.hold(child, true);
    const { argv, cwd, env, stdoutPath: out, stderrPath: err, user } = req;
    const as = user ? { uid: user.uid, gid: user.gid } : {};
    child.stdin!.write(`${JSON.stringify({ id, argv, cwd, env, out, err, ...as })}\n`);
  }

  private start(): ChildProcess {
    const argv = [process.execPath, '-e', LAUNCHER_SOURCE];
    const [command, ...args] = this.cpus ? ['taskset', '-c', this.cpus, ...argv] : argv;
    const child = spawn(command, args, {
      cwd: '/',
      // Nothing of the emulator's environment (NODE_OPTIONS, credentials): tasks get theirs.
      env: {},
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    // Idle, the launcher must not keep the emulator's process alive by itself.
    (child.stdin as Socket).unref();
    this.hold(child, false);
    child.stdin.on('error', () => undefined);
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) this.dispatch(JSON.parse(line) as LaunchEvent & { id: number });
      }
    });
    const lost = () => {
      if (this.child !== child) return;
      this.child = undefined;
      const listeners = [...this.pending.values()];
      this.pending.clear();
      for (const listener of listeners) listener({ t: 'lost' });
    };
    child.once('exit', lost);
    child.once('error', lost);
    return child;
  }

  /** Whether the launcher keeps this process alive: while it runs something, as a child would. */
  private hold(child: ChildProcess, alive: boolean): void {
    const stdout = child.stdout as Socket;
    if (alive) {
      child.ref();
      stdout.ref();
    } else {
      child.unref();
      stdout.unref();
    }
  }

  private dispatch(event: LaunchEvent & { id: number }): void {
    const listener = this.pending.get(event.id);
    if (!listener) return;
    if (event.t !== 'started') {
      this.pending.delete(event.id);
      if (this.pending.size === 0 && this.child) this.hold(this.child, false);
    }
    listener(event);
  }
}

/** The emulator process's launcher. */
export const launcher = new Launcher();
