// The project's worker started as `npm run worker` starts it, as a child process: a test can
// SIGKILL it at an awkward moment and start it again, as a crash would, and the bench reads its
// memory from /proc. Readiness is a message over the IPC channel once the worker polls, not a
// log line. Like `npm run worker`, it runs the compiled worker, rebuilt first when a source changed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import { WORKER_READY_MESSAGE, workerCommand, type WorkerCommand } from '../worker';
import { ensureProjectBuild } from './bootstrap.cjs';

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The script's path made absolute, so a worker can run in a working directory of its own. */
function inProject(arg: string): string {
  const file = path.join(PROJECT_ROOT, arg);
  return !arg.startsWith('-') && !path.isAbsolute(arg) && fs.existsSync(file) ? file : arg;
}

export interface WorkerProcessOptions {
  /** Extra environment (the stack's addresses, timeouts). */
  env: NodeJS.ProcessEnv;
  /** `npm run worker`'s command, or a variant of it for a profile. */
  command?: WorkerCommand;
  cwd?: string;
  startTimeoutMs?: number;
}

export class WorkerProcess {
  private child?: ChildProcess;
  private output = '';
  private sampler?: NodeJS.Timeout;
  private peakRssKb = 0;
  kills = 0;

  constructor(private readonly options: WorkerProcessOptions) {}

  /** Starts the worker; resolves once it polls its task queue. */
  async start(): Promise<void> {
    this.output = '';
    ensureProjectBuild();
    const { command, args, env } = this.options.command ?? workerCommand();
    const child = spawn(command, args.map(inProject), {
      cwd: this.options.cwd ?? PROJECT_ROOT,
      env: { ...process.env, LOG_LEVEL: 'WARN', ...env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timeoutMs = this.options.startTimeoutMs ?? 90_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not start in ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code}) during start:\n${this.output}`));
      };
      child.on('message', (message) => {
        if ((message as { type?: string }).type !== WORKER_READY_MESSAGE) return;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.disconnect();
        resolve();
      });
      child.once('exit', onExit);
    });
  }

  /** SIGKILL: no graceful shutdown, in-flight activities are simply lost. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive()) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** SIGTERM (a graceful shutdown), then SIGKILL after `killAfterMs`; how the worker exited. */
  async stop(
    killAfterMs = 10_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (this.sampler) clearInterval(this.sampler);
    const child = this.child;
    if (!child || !this.alive()) return undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  }

  alive(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  log(): string {
    return this.output;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  rssMb(): number {
    return (statusKb(this.pid, 'VmRSS') ?? 0) / 1024;
  }

  /** Samples VmRSS every `everyMs` from now on; `peakSampledMb()` reads the highest. */
  sampleRss(everyMs = 100): void {
    this.peakRssKb = statusKb(this.pid, 'VmRSS') ?? 0;
    this.sampler = setInterval(() => {
      this.peakRssKb = Math.max(this.peakRssKb, statusKb(this.pid, 'VmRSS') ?? 0);
    }, everyMs);
    this.sampler.unref();
  }

  peakSampledMb(): number {
    return this.peakRssKb / 1024;
  }

  /** The kernel's high-water mark of resident memory over the worker's whole life. */
  hwmMb(): number {
    return (statusKb(this.pid, 'VmHWM') ?? 0) / 1024;
  }
}
