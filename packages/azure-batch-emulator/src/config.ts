import { resolve } from 'node:path';
import type { TokenTrust } from './auth/bearer';
import type { FaultSettings } from './faults';

/** The well-known development account; the env overrides exist so that a shared stack can rotate it. */
export const DEV_BATCH_ACCOUNT_NAME: string = process.env.BATCH_EMULATOR_ACCOUNT || 'devbatch';
export const DEV_BATCH_ACCOUNT_KEY: string =
  process.env.BATCH_EMULATOR_KEY ||
  'MTmUU1p3LnaKB+vIayTTgw7AtSRqShRNocYxJR8K6JgUnjIDxND+OijC3x7meUfZOxQn7oi+lQ3wsgco5repQg==';

export const EMULATOR_SERVICE_NAME = 'azure-batch-emulator';
export const EMULATOR_VERSION = '0.1.0';

/**
 * Every GA Batch data-plane api-version from 2018-12-01.8.0 on, oldest first (there was no 13.0):
 * azure-rest-api-specs specification/batch/data-plane/Batch/readme.md. What differs between them
 * is in src/wire/api-versions.ts.
 */
export const SUPPORTED_API_VERSIONS = [
  '2018-12-01.8.0',
  '2019-06-01.9.0',
  '2019-08-01.10.0',
  '2020-03-01.11.0',
  '2020-09-01.12.0',
  '2021-06-01.14.0',
  '2022-01-01.15.0',
  '2022-10-01.16.0',
  '2023-05-01.17.0',
  '2023-11-01.18.0',
  '2024-02-01.19.0',
  '2024-07-01.20.0',
  '2025-06-01',
] as const;

/** How long a client may take to send a request's headers and body before it is answered 408. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface EmulatorOptions {
  host?: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  dataDir: string;
  accountName?: string;
  accountKey?: string;
  /** Accept Microsoft Entra ID bearer tokens from this issuer (SharedKey is always accepted). */
  tokenTrust?: TokenTrust;
  /** How long a pool stays `resizing` before its nodes exist. */
  allocationDelayMs?: number;
  /** How long a new node spends in `creating` and in `starting`, each. */
  nodeStartDelayMs?: number;
  /** How long a deleted pool or job stays visible in state `deleting`. */
  deleteDelayMs?: number;
  /** Dedicated cores the account may hold across all pools. */
  coreQuota?: number;
  lowPriorityCoreQuota?: number;
  /** Initial fault settings (merged over BATCH_EMULATOR_FAULTS). */
  faults?: Partial<FaultSettings>;
  /** Debounce for writing state.json. */
  persistDebounceMs?: number;
  /**
   * How long a client may take to send a request (headers and body) before it is answered 408
   * and its connection closed; default 10 s.
   */
  requestTimeoutMs?: number;
  /**
   * The CPUs task processes run on (a taskset list such as `1` or `2-3`); unset, any CPU. On
   * Azure a node's tasks have the node's cores to themselves, while the Batch service, Storage
   * and the orchestrator run elsewhere: this keeps them apart on one machine too. Needs taskset.
   */
  nodeCpus?: string;
  /** Receives one line per notable event; silent by default. */
  log?: (line: string) => void;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  dataDir: string;
  accountName: string;
  accountKey: string;
  tokenTrust?: TokenTrust;
  allocationDelayMs: number;
  nodeStartDelayMs: number;
  deleteDelayMs: number;
  coreQuota: number;
  lowPriorityCoreQuota: number;
  faults: Partial<FaultSettings>;
  persistDebounceMs: number;
  requestTimeoutMs: number;
  nodeCpus?: string;
  log: (line: string) => void;
}

function envFaults(): Partial<FaultSettings> {
  const raw = process.env.BATCH_EMULATOR_FAULTS;
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Partial<FaultSettings>;
  } catch {
    throw new Error(`BATCH_EMULATOR_FAULTS is not valid JSON: ${raw}`);
  }
}

/** A taskset CPU list (`1`, `0,2`, `2-3`), or a clear error naming what was given. */
function cpuList(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) {
    throw new Error(
      `node CPUs ${JSON.stringify(raw)} is not a CPU list: give CPU numbers and ranges such as 1, 0,2 or 2-3 (BATCH_EMULATOR_NODE_CPUS, --node-cpus)`,
    );
  }
  return list;
}

export function resolveOptions(opts: EmulatorOptions): ResolvedOptions {
  return {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    // Absolute, because node directories become task working directories and AZ_BATCH_* paths.
    dataDir: resolve(opts.dataDir),
    accountName: opts.accountName ?? DEV_BATCH_ACCOUNT_NAME,
    accountKey: opts.accountKey ?? DEV_BATCH_ACCOUNT_KEY,
    tokenTrust: opts.tokenTrust,
    allocationDelayMs: opts.allocationDelayMs ?? 1000,
    nodeStartDelayMs: opts.nodeStartDelayMs ?? 500,
    deleteDelayMs: opts.deleteDelayMs ?? 500,
    coreQuota: opts.coreQuota ?? 100,
    lowPriorityCoreQuota: opts.lowPriorityCoreQuota ?? 100,
    faults: { ...envFaults(), ...(opts.faults ?? {}) },
    persistDebounceMs: opts.persistDebounceMs ?? 250,
    requestTimeoutMs: Math.max(100, opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    nodeCpus: cpuList(opts.nodeCpus),
    log: opts.log ?? (() => undefined),
  };
}
