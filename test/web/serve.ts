// `npm run client -- watch <id> --web` as a user runs it, as a child process on the test stack:
// its page's URL once it prints it, its output, and a stop that waits for it to exit.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AppConfig } from '../../src/config';
import { PROJECT_ROOT } from '../../src/config';

/** The client's environment for the test stack (the same services the worker uses). */
export function clientEnv(config: AppConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DURABLE_BATCH_ENV_FILE: 'none',
    TEMPORAL_ADDRESS: config.temporal.address,
    BATCH_EMULATOR_PORT: new URL(config.batch.url).port,
    AZURITE_BLOB_PORT: new URL(config.storage.blobUrl).port,
  };
}

export interface ServedPage {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

export async function serveWeb(
  config: AppConfig,
  workflowId: string,
  ...extra: string[]
): Promise<ServedPage> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'watch', workflowId, '--web', ...extra],
    { cwd: PROJECT_ROOT, env: clientEnv(config), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no page link within 30 s:\n${out}`)), 30_000);
    const look = () => {
      const match = /Live page of \S+: (http\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`watch --web exited ${code} before serving:\n${out}`));
    });
  });
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
