// The client CLI as a user runs it (`npm run client -- …`: the compiled client, rebuilt first
// when a source changed), as a child process: its exit code, output and time, whatever the outcome.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config';
import { ensureProjectBuild } from '../../src/stack/bootstrap.cjs';

export interface CliAnswer {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function runCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliAnswer> {
  ensureProjectBuild();
  const started = Date.now();
  return promisify(execFile)(process.execPath, ['dist/src/cli/main.js', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr, ms: Date.now() - started }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
      ms: Date.now() - started,
    }),
  );
}
