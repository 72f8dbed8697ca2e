// The one place that reads the environment (and an optional .env file) and validates it.
// With no Azure variables set, the local stack (Temporal dev server, Azurite, Batch emulator)
// is the target; with all of them set, real Azure is.
import path from 'node:path';
import os from 'node:os';
import { parse as parseDotenv } from 'dotenv';
import fs from 'node:fs';
import { z } from 'zod';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { HOST_ID } from './transcode/input';

/** From src/ (tsx: tests, scripts) or from its build, dist/src/ (plain node). */
export const PROJECT_ROOT = path.resolve(__dirname, __filename.endsWith('.js') ? '../..' : '..');

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The Batch emulator's fixed development account (documented in packages/azure-batch-emulator/README.md). */
export const EMULATOR_ACCOUNT_NAME = 'devbatch';
export const EMULATOR_ACCOUNT_KEY =
  'MTmUU1p3LnaKB+vIayTTgw7AtSRqShRNocYxJR8K6JgUnjIDxND+OijC3x7meUfZOxQn7oi+lQ3wsgco5repQg==';

export const DEFAULT_PORTS = {
  temporal: 7233,
  temporalUi: 8233,
  azurite: 10000,
  batch: 10100,
} as const;

export const DEFAULT_TASK_QUEUE = 'batch-transcode';

/**
 * The worker's own settings when the environment names none: a shutdown grace long enough for
 * a transfer to reach its next file (then it resumes elsewhere from its heartbeat), and the
 * SDK's own concurrency defaults.
 */
export const WORKER_DEFAULTS = {
  shutdownGraceSeconds: 20,
  maxConcurrentActivities: 100,
  maxConcurrentWorkflowTasks: 40,
} as const;

/**
 * The tutorial's own input video, when this machine has it: `$TUTORIAL_CLIP`, else
 * `../shared/media/LowPriVMs-4.mp4` beside the project. `TUTORIAL_CLIP=none` looks nowhere, so
 * a generated stand-in is used (tests must pass either way).
 */
export function tutorialClipPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env.TUTORIAL_CLIP;
  if (named === 'none') return undefined;
  const candidate = named || path.resolve(PROJECT_ROOT, '..', 'shared', 'media', 'LowPriVMs-4.mp4');
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * Batch REST api-versions the product can speak through @azure/batch 10.2.0 (GA versions; the
 * 2022-10-01.16.0 bodies the client builds are valid in all of them, see
 * docs/batch-api-versions.md). Batch retires every version before 2025-06-01.
 */
export const BATCH_API_VERSIONS = [
  '2022-10-01.16.0',
  '2023-05-01.17.0',
  '2023-11-01.18.0',
  '2024-02-01.19.0',
  '2024-07-01.20.0',
  '2025-06-01',
] as const;
export const DEFAULT_BATCH_API_VERSION = '2025-06-01';

const AZURE_VARIABLES = [
  'AZURE_BATCH_ACCOUNT_NAME',
  'AZURE_BATCH_ACCOUNT_KEY',
  'AZURE_BATCH_ACCOUNT_URL',
  'AZURE_STORAGE_ACCOUNT_NAME',
  'AZURE_STORAGE_ACCOUNT_KEY',
] as const;
/** Either key set means account keys; neither means Microsoft Entra ID (DefaultAzureCredential). */
const KEY_VARIABLES = ['AZURE_BATCH_ACCOUNT_KEY', 'AZURE_STORAGE_ACCOUNT_KEY'] as const;
const ENTRA_ID_VARIABLES = ['AZURE_BATCH_ACCOUNT_URL', 'AZURE_STORAGE_ACCOUNT_NAME'] as const;

const port = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const positiveInt = z.coerce
  .number({ message: 'must be a whole number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1');

const base64Key = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be a base64 account key');

const httpUrl = z.url({
  protocol: /^https?$/,
  message: 'must be an http(s) URL such as https://myaccount.westeurope.batch.azure.com',
});

const envSchema = z.object({
  DURABLE_BATCH_DATA_DIR: z.string().min(1).optional(),
  TEMPORAL_PORT: port.default(DEFAULT_PORTS.temporal),
  TEMPORAL_UI_PORT: port.default(DEFAULT_PORTS.temporalUi),
  AZURITE_BLOB_PORT: port.default(DEFAULT_PORTS.azurite),
  BATCH_EMULATOR_PORT: port.default(DEFAULT_PORTS.batch),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port, such as 127.0.0.1:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  TEMPORAL_UI_URL: httpUrl.optional(),
  DURABLE_BATCH_HOST_ID: z
    .string()
    .regex(HOST_ID, 'must be letters, digits, dots, hyphens and underscores (at most 253)')
    .optional(),
  DURABLE_BATCH_SHUTDOWN_GRACE_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds' })
    .min(0, 'must be 0 or more')
    .default(WORKER_DEFAULTS.shutdownGraceSeconds),
  DURABLE_BATCH_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(
    WORKER_DEFAULTS.maxConcurrentActivities,
  ),
  DURABLE_BATCH_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.default(
    WORKER_DEFAULTS.maxConcurrentWorkflowTasks,
  ),
  LOG_LEVEL: z
    .enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], {
      message: 'must be TRACE, DEBUG, INFO, WARN or ERROR',
    })
    .default('INFO'),
  AZURE_BATCH_ACCOUNT_NAME: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters and digits')
    .optional(),
  AZURE_BATCH_ACCOUNT_KEY: base64Key.optional(),
  AZURE_BATCH_ACCOUNT_URL: httpUrl.optional(),
  AZURE_STORAGE_ACCOUNT_NAME: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters and digits')
    .optional(),
  AZURE_STORAGE_ACCOUNT_KEY: base64Key.optional(),
  AZURE_STORAGE_BLOB_URL: httpUrl.optional(),
  AZURE_BATCH_API_VERSION: z
    .enum(BATCH_API_VERSIONS, { message: `must be one of ${BATCH_API_VERSIONS.join(', ')}` })
    .default(DEFAULT_BATCH_API_VERSION),
});

export interface StackConfig {
  dataDir: string;
  ports: { temporal: number; temporalUi: number; azurite: number; batch: number };
}

export interface BatchAccountConfig {
  accountName: string;
  /** Absent with Microsoft Entra ID. */
  accountKey?: string;
  url: string;
  /** The Batch REST api-version of every request (AZURE_BATCH_API_VERSION). */
  apiVersion: string;
}

export interface StorageAccountConfig {
  accountName: string;
  /** Absent with Microsoft Entra ID (then SAS URLs are user delegation SAS). */
  accountKey?: string;
  /** Blob endpoint, e.g. https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1 */
  blobUrl: string;
}

export interface WorkerConfig {
  /** This machine's name for the folders it serves (DURABLE_BATCH_HOST_ID, else the hostname). */
  hostId: string;
  shutdownGraceMs: number;
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
}

export interface AppConfig {
  target: 'local' | 'azure';
  /** How the worker signs in to Batch and Storage: account keys, or Microsoft Entra ID. */
  auth: 'keys' | 'entra-id';
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  stack: StackConfig;
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  worker: WorkerConfig;
  batch: BatchAccountConfig;
  storage: StorageAccountConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet these in the environment or in a .env file at the project root (see README).',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads .env at the project root (or the file DURABLE_BATCH_ENV_FILE names; `none` reads none)
 * without overriding what the environment already has.
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  envFile = env.DURABLE_BATCH_ENV_FILE ?? path.join(PROJECT_ROOT, '.env'),
): Record<string, string | undefined> {
  const fromFile =
    envFile !== 'none' && fs.existsSync(envFile) ? parseDotenv(fs.readFileSync(envFile)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }
  return merged;
}

export function loadConfig(env: Record<string, string | undefined> = readEnvironment()): AppConfig {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      problems.push(`${key}=${JSON.stringify(env[key] ?? '')}: ${issue.message}`);
    }
  }
  const setAzure = AZURE_VARIABLES.filter((name) => env[name]);
  const setKeys = KEY_VARIABLES.filter((name) => env[name]);
  const auth = setKeys.length > 0 ? 'keys' : 'entra-id';
  if (setAzure.length > 0 && auth === 'keys' && setAzure.length < AZURE_VARIABLES.length) {
    const missing = AZURE_VARIABLES.filter((name) => !env[name]);
    problems.push(
      `real Azure with account keys (${setKeys.join(' and ')} set) needs all five of ` +
        `${AZURE_VARIABLES.join(', ')}; missing: ${missing.join(', ')} (or unset both keys to ` +
        'sign in with Microsoft Entra ID, or unset them all to use the local stack)',
    );
  }
  const missingForEntraId = ENTRA_ID_VARIABLES.filter((name) => !env[name]);
  if (setAzure.length > 0 && auth === 'entra-id' && missingForEntraId.length > 0) {
    problems.push(
      'real Azure with Microsoft Entra ID (no account key set) needs ' +
        `${ENTRA_ID_VARIABLES.join(' and ')}; missing: ${missingForEntraId.join(', ')} (or set ` +
        `all five of ${AZURE_VARIABLES.join(', ')} to use account keys, or unset them all to ` +
        'use the local stack)',
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const v = parsed.data;

  const stack: StackConfig = {
    dataDir: path.resolve(v.DURABLE_BATCH_DATA_DIR ?? path.join(PROJECT_ROOT, '.data')),
    ports: {
      temporal: v.TEMPORAL_PORT,
      temporalUi: v.TEMPORAL_UI_PORT,
      azurite: v.AZURITE_BLOB_PORT,
      batch: v.BATCH_EMULATOR_PORT,
    },
  };
  const temporal = {
    address: v.TEMPORAL_ADDRESS ?? `127.0.0.1:${stack.ports.temporal}`,
    namespace: v.TEMPORAL_NAMESPACE,
    taskQueue: v.TEMPORAL_TASK_QUEUE,
    uiUrl: (v.TEMPORAL_UI_URL ?? `http://127.0.0.1:${stack.ports.temporalUi}`).replace(/\/+$/, ''),
  };
  const worker: WorkerConfig = {
    hostId: v.DURABLE_BATCH_HOST_ID ?? os.hostname(),
    shutdownGraceMs: v.DURABLE_BATCH_SHUTDOWN_GRACE_SECONDS * 1000,
    maxConcurrentActivities: v.DURABLE_BATCH_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTasks: v.DURABLE_BATCH_MAX_CONCURRENT_WORKFLOW_TASKS,
  };

  if (setAzure.length > 0) {
    const storageName = v.AZURE_STORAGE_ACCOUNT_NAME!;
    const batchUrl = v.AZURE_BATCH_ACCOUNT_URL!.replace(/\/+$/, '');
    return {
      target: 'azure',
      auth,
      logLevel: v.LOG_LEVEL,
      stack,
      temporal,
      worker,
      batch: {
        // With Entra ID the name is optional: the URL's first label, as Azure names it.
        accountName: v.AZURE_BATCH_ACCOUNT_NAME ?? new URL(batchUrl).hostname.split('.')[0],
        accountKey: v.AZURE_BATCH_ACCOUNT_KEY,
        url: batchUrl,
        apiVersion: v.AZURE_BATCH_API_VERSION,
      },
      storage: {
        accountName: storageName,
        accountKey: v.AZURE_STORAGE_ACCOUNT_KEY,
        blobUrl: (
          v.AZURE_STORAGE_BLOB_URL ?? `https://${storageName}.blob.core.windows.net`
        ).replace(/\/+$/, ''),
      },
    };
  }
  return {
    target: 'local',
    auth: 'keys',
    logLevel: v.LOG_LEVEL,
    stack,
    temporal,
    worker,
    batch: {
      accountName: EMULATOR_ACCOUNT_NAME,
      accountKey: EMULATOR_ACCOUNT_KEY,
      url: `http://127.0.0.1:${stack.ports.batch}`,
      apiVersion: v.AZURE_BATCH_API_VERSION,
    },
    storage: {
      accountName: AZURITE_ACCOUNT_NAME,
      accountKey: AZURITE_ACCOUNT_KEY,
      blobUrl: `http://127.0.0.1:${stack.ports.azurite}/${AZURITE_ACCOUNT_NAME}`,
    },
  };
}

/**
 * Temporal connection options: the standard TEMPORAL_* variables and profiles
 * (@temporalio/envconfig) win; otherwise the address from this config.
 */
export function temporalConnection(config: AppConfig): {
  connectionOptions: NativeConnectionOptions;
  namespace: string;
} {
  // The variables loadConfig reads: the environment and .env (no value undefined or empty).
  const env = readEnvironment() as Record<string, string>;
  const fromEnv = loadClientConnectConfig({ overrideEnvVars: env });
  return {
    connectionOptions: {
      ...fromEnv.connectionOptions,
      address: fromEnv.connectionOptions.address ?? config.temporal.address,
    },
    namespace: fromEnv.namespace ?? config.temporal.namespace,
  };
}
