// The Azure Batch emulator (the workspace package azure-batch-emulator), run as a child process
// of the stack: its compiled program with plain node (the bootstrap builds it).
import fs from 'node:fs';
import path from 'node:path';
import { spawnManaged, waitUntilReady, httpGet, type ManagedChild } from './child';
import { freePort, isListening, PortInUseError } from './ports';
import { EMULATOR_ACCOUNT_KEY, EMULATOR_ACCOUNT_NAME, PROJECT_ROOT } from '../config';

export interface BatchEmulatorService {
  url: string;
  accountName: string;
  accountKey: string;
  child?: ManagedChild;
  stop(): Promise<void>;
}

export interface BatchEmulatorOptions {
  dataDir: string;
  port?: number;
  reuse?: boolean;
  /** Extra environment for the emulator (delays, quotas, faults). */
  env?: NodeJS.ProcessEnv;
}

/** The emulator's program: the package's `bin`, compiled JavaScript. */
export function batchEmulatorProgram(): string {
  const manifest = require.resolve('azure-batch-emulator/package.json');
  const { bin } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const program = path.join(path.dirname(manifest), bin['azure-batch-emulator']);
  if (!fs.existsSync(program)) {
    throw new Error(
      `${program} is missing: build the emulator with \`node src/stack/bootstrap.cjs\` ` +
        '(or `npm run build -w azure-batch-emulator`).',
    );
  }
  return program;
}

export async function isBatchEmulator(port: number): Promise<boolean> {
  const response = await httpGet(`http://127.0.0.1:${port}/_emulator/health`);
  if (response?.status !== 200) return false;
  try {
    return (JSON.parse(response.text) as { service?: string }).service === 'azure-batch-emulator';
  } catch {
    return false;
  }
}

function describe(port: number, child?: ManagedChild): BatchEmulatorService {
  return {
    url: `http://127.0.0.1:${port}`,
    accountName: EMULATOR_ACCOUNT_NAME,
    accountKey: EMULATOR_ACCOUNT_KEY,
    child,
    stop: async () => child?.stop(10_000),
  };
}

export async function startBatchEmulator(
  options: BatchEmulatorOptions,
): Promise<BatchEmulatorService> {
  const port = options.port || (await freePort());
  if (await isListening(port)) {
    if (options.reuse && (await isBatchEmulator(port))) return describe(port);
    throw new PortInUseError(port, 'the Batch emulator', 'BATCH_EMULATOR_PORT');
  }
  const dir = path.join(options.dataDir, 'batch');
  const child = spawnManaged({
    name: 'Batch emulator',
    command: process.execPath,
    args: [batchEmulatorProgram()],
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...options.env,
      BATCH_EMULATOR_PORT: String(port),
      BATCH_EMULATOR_DATA_DIR: dir,
    },
    logFile: path.join(dir, 'emulator.log'),
  });
  await waitUntilReady(child, () => isBatchEmulator(port), 30_000);
  return describe(port, child);
}
