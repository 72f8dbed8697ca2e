// The project's worker, started as `npm run worker` starts it, as a child process, so a test can
// SIGKILL it at an awkward moment and start it again, as a crash would.
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config';
import { workerCommand } from '../../src/worker';

export class WorkerProcess {
  private child?: ChildProcess;
  private output = '';
  kills = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Starts the worker and resolves once it polls its task queue. */
  async start(): Promise<void> {
    this.output = '';
    const { command, args, env } = workerCommand();
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LOG_LEVEL: 'WARN', ...env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not start:\n${this.output}`)),
        60_000,
      );
      const check = () => {
        if (this.output.includes('Worker on task queue')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code}) during start:\n${this.output}`));
      });
    });
  }

  /** SIGKILL: no graceful shutdown, in-flight activities are simply lost. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  alive(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  log(): string {
    return this.output;
  }
}
