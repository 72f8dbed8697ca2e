// How fast the client starts, as a user runs it (`npm run client`: compiled JavaScript with plain
// node): `--help`, which loads every command and exits, and `status` of an unknown run, which
// also connects and ends once Temporal has answered its first request (exit 2, "No such run").
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { ensureProjectBuild } from '../src/stack/bootstrap.cjs';
import type { BenchEnv } from './harness';

/** Runs of each; the median is reported, the first run (cold file cache) included. */
const RUNS = 3;

function medianMs(env: NodeJS.ProcessEnv, args: string[], expectedStatus: number): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js'), ...args],
      { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 },
    );
    times.push(performance.now() - started);
    if (result.status !== expectedStatus) {
      throw new Error(`client ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    }
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]);
}

export function benchStartup(env: BenchEnv) {
  ensureProjectBuild();
  const stackEnv = { ...process.env, ...env.stack.env };
  return {
    /** `client --help` until exit (ms). */
    clientHelpMs: medianMs(stackEnv, ['--help'], 0),
    /** `client status <unknown id>` until exit, after Temporal's answer (ms). */
    clientFirstRequestMs: medianMs(stackEnv, ['status', `no-such-run-${process.pid}`], 2),
  };
}
