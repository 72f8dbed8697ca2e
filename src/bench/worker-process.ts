// The project's worker as `npm run worker` starts it, as a child process, so its memory is
// its own: VmRSS sampled every 100 ms and VmHWM (the kernel's peak) read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { PROJECT_ROOT } from '../config';
import { workerCommand, type WorkerCommand } from '../worker';

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class WorkerProcess {
  private child?: ChildProcess;
  private output = '';
  private sampler?: NodeJS.Timeout;
  private peakRssKb = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** `npm run worker`'s command, or a variant of it for the profile. */
    private readonly command: WorkerCommand = workerCommand(),
  ) {}

  /** Starts the worker; resolves once it polls its task queue. */
  async start(): Promise<void> {
    const { command, args, env } = this.command;
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LOG_LEVEL: 'WARN', ...env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) =>
      (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not start:\n${this.output}`)),
        90_000,
      );
      child.stdout.on('data', () => {
        if (this.output.includes('Worker on task queue')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code}) during start:\n${this.output}`));
      });
    });
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

  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
