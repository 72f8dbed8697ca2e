// A child process of the local stack: output to a log file, readiness wait, clean stop.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedChild {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  exited(): boolean;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnManaged(options: SpawnOptions): ManagedChild {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  if (child.pid === undefined) {
    throw new Error(`could not start ${options.name} (${options.command}): see ${options.logFile}`);
  }
  let hasExited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      resolve();
    });
    child.once('error', () => {
      hasExited = true;
      resolve();
    });
  });
  return {
    name: options.name,
    pid: child.pid,
    logFile: options.logFile,
    exited: () => hasExited,
    async stop(graceMs = 5000) {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` until it returns true; fails early if the child exits. */
export async function waitUntilReady(
  child: ManagedChild,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited()) {
      throw new Error(`${child.name} exited during start-up: ${lastLines(child.logFile)}`);
    }
    if (await probe()) return;
    await sleep(100);
  }
  await child.stop();
  throw new Error(
    `${child.name} did not answer within ${timeoutMs / 1000} s: ${lastLines(child.logFile)}`,
  );
}

function lastLines(file: string, count = 8): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return `last lines of ${file}:\n${lines.slice(-count).join('\n')}`;
  } catch {
    return `no log at ${file}`;
  }
}

/** GET a URL with a short timeout; undefined when nothing answers. */
export async function httpGet(
  url: string,
  timeoutMs = 1000,
): Promise<{ status: number; headers: Headers; text: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch {
    return undefined;
  }
}
