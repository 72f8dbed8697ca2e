#!/usr/bin/env node
// The Azure Batch emulator as a program: `npx azure-batch-emulator --port 8086 --data-dir DIR`
// (compiled to dist/main.js; `node --import tsx src/main.ts` runs the sources).
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTrustedKeys, type TokenTrust } from './auth/bearer';
import { EMULATOR_VERSION } from './config';
import { startBatchEmulator } from './index';
import { resolveTaskUsers } from './runtime/task-user';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  return integer(raw);
}

interface CliOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  allocationDelayMs?: number;
  nodeStartDelayMs?: number;
  deleteDelayMs?: number;
  coreQuota?: number;
  lowPriorityCoreQuota?: number;
  requestTimeoutMs?: number;
  nodeCpus?: string;
  verbose?: boolean;
  trustedTokenKey?: string;
  tokenIssuer?: string;
  tokenAudience?: string[];
}

/** Entra ID bearer tokens: trusted only when a key file and an issuer are both given. */
function tokenTrust(o: CliOptions): TokenTrust | undefined {
  const keyFile = o.trustedTokenKey ?? process.env.BATCH_EMULATOR_TOKEN_KEY;
  const issuer = o.tokenIssuer ?? process.env.BATCH_EMULATOR_TOKEN_ISSUER;
  if (!keyFile && !issuer) return undefined;
  if (!keyFile || !issuer) {
    throw new InvalidArgumentError(
      '--trusted-token-key and --token-issuer go together (BATCH_EMULATOR_TOKEN_KEY, BATCH_EMULATOR_TOKEN_ISSUER)',
    );
  }
  const audiences = o.tokenAudience ?? process.env.BATCH_EMULATOR_TOKEN_AUDIENCE?.split(',');
  return { issuer, keys: parseTrustedKeys(readFileSync(keyFile, 'utf8')), audiences };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('azure-batch-emulator')
    .description('Azure Batch REST API on loopback; tasks run as local processes.')
    .version(EMULATOR_VERSION)
    .option('--host <host>', 'interface to listen on (env BATCH_EMULATOR_HOST)')
    .option('--port <port>', 'port, 0 for a free one (env BATCH_EMULATOR_PORT)', integer)
    .option('--data-dir <dir>', 'state and node directories (env BATCH_EMULATOR_DATA_DIR)')
    .option('--allocation-delay-ms <ms>', 'time a pool stays resizing', integer)
    .option('--node-start-delay-ms <ms>', 'time a node spends creating, and starting', integer)
    .option('--delete-delay-ms <ms>', 'time a deleted pool or job stays visible', integer)
    .option('--core-quota <cores>', 'dedicated core quota', integer)
    .option('--low-priority-core-quota <cores>', 'low-priority core quota', integer)
    .option(
      '--request-timeout-ms <ms>',
      'time a client may take to send a request before a 408 (env BATCH_EMULATOR_REQUEST_TIMEOUT_MS)',
      integer,
    )
    .option(
      '--node-cpus <list>',
      'run task processes on these CPUs only, e.g. 1 or 2-3, as nodes have cores of their own (env BATCH_EMULATOR_NODE_CPUS; needs taskset)',
    )
    .option('--verbose', 'log runtime events to stderr')
    .option(
      '--trusted-token-key <file>',
      'accept Entra ID bearer tokens signed by this RS256 public key: PEM, JWKS or JWK (env BATCH_EMULATOR_TOKEN_KEY)',
    )
    .option('--token-issuer <iss>', "the trusted tokens' iss (env BATCH_EMULATOR_TOKEN_ISSUER)")
    .option(
      '--token-audience <aud...>',
      'accepted audiences (default https://batch.core.windows.net/; env BATCH_EMULATOR_TOKEN_AUDIENCE, comma-separated)',
    )
    .parse();
  const o = program.opts<CliOptions>();
  const dataDir = resolve(
    o.dataDir ?? process.env.BATCH_EMULATOR_DATA_DIR ?? '.data/batch-emulator',
  );
  const emulator = await startBatchEmulator({
    host: o.host ?? process.env.BATCH_EMULATOR_HOST,
    port: o.port ?? envInt('BATCH_EMULATOR_PORT') ?? 0,
    dataDir,
    allocationDelayMs: o.allocationDelayMs ?? envInt('BATCH_EMULATOR_ALLOCATION_DELAY_MS'),
    nodeStartDelayMs: o.nodeStartDelayMs ?? envInt('BATCH_EMULATOR_NODE_START_DELAY_MS'),
    deleteDelayMs: o.deleteDelayMs ?? envInt('BATCH_EMULATOR_DELETE_DELAY_MS'),
    coreQuota: o.coreQuota ?? envInt('BATCH_EMULATOR_CORE_QUOTA'),
    lowPriorityCoreQuota:
      o.lowPriorityCoreQuota ?? envInt('BATCH_EMULATOR_LOW_PRIORITY_CORE_QUOTA'),
    requestTimeoutMs: o.requestTimeoutMs ?? envInt('BATCH_EMULATOR_REQUEST_TIMEOUT_MS'),
    nodeCpus: o.nodeCpus ?? process.env.BATCH_EMULATOR_NODE_CPUS,
    tokenTrust: tokenTrust(o),
    log: o.verbose ? (line) => console.error(line) : undefined,
  });
  console.log(
    `Azure Batch emulator at ${emulator.url} account=${emulator.accountName} key=${emulator.accountKey} data=${dataDir}`,
  );
  const users = resolveTaskUsers();
  // Said whatever --verbose: tasks then get no isolation from the emulator's files.
  if (!users.switching) console.error(`azure-batch-emulator: ${users.note}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A second signal means "now": the first stop already killed the task processes.
      process.exit(1);
    }
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`stopping after ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
