import {
  BatchServiceClient,
  BatchSharedKeyCredentials,
  type BatchServiceModels,
} from '@azure/batch';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign, stringsToSign } from '../src/auth/shared-key';
import { startBatchEmulator, type BatchEmulator, type EmulatorOptions } from '../src/index';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `batch-emu-${prefix}-`));
}

export function removeDir(dir: string): void {
  if (!process.env.KEEP_TEST_DATA) rmSync(dir, { recursive: true, force: true });
}

/** Fast defaults so state machines settle within a test. */
export async function startTestEmulator(
  opts: Partial<EmulatorOptions> & { dataDir?: string } = {},
): Promise<BatchEmulator> {
  return startBatchEmulator({
    allocationDelayMs: 50,
    nodeStartDelayMs: 20,
    deleteDelayMs: 100,
    ...opts,
    dataDir: opts.dataDir ?? tempDir('data'),
    log: process.env.EMULATOR_LOG ? (line) => console.error(`[emulator] ${line}`) : undefined,
  });
}

/** The real SDK client, retries off as the project uses it. */
export function batchClient(
  emu: { url: string; accountName: string; accountKey: string },
  key?: string,
) {
  return new BatchServiceClient(
    new BatchSharedKeyCredentials(emu.accountName, key ?? emu.accountKey),
    emu.url,
    { noRetryPolicy: true },
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns something other than undefined, or fails after timeoutMs. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const IMAGE: BatchServiceModels.VirtualMachineConfiguration = {
  imageReference: {
    publisher: 'canonical',
    offer: 'ubuntu-24_04-lts',
    sku: 'server',
    version: 'latest',
  },
  nodeAgentSKUId: 'batch.node.ubuntu 24.04',
};

export function poolSpec(
  id: string,
  extra: Partial<BatchServiceModels.PoolAddParameter> = {},
): BatchServiceModels.PoolAddParameter {
  // Batch needs a node count (or autoscale): zero dedicated unless the test says otherwise.
  return {
    id,
    vmSize: 'STANDARD_A1_v2',
    virtualMachineConfiguration: IMAGE,
    targetDedicatedNodes: 0,
    ...extra,
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown>;
}

/** A request signed like the SDK signs, for what the SDK will not send (bad bodies, versions). */
export async function rawRequest(
  emu: Pick<BatchEmulator, 'url' | 'accountName' | 'accountKey'>,
  method: string,
  path: string,
  opts: {
    apiVersion?: string | null;
    body?: unknown;
    headers?: Record<string, string>;
    unsigned?: boolean;
    key?: string;
  } = {},
): Promise<RawResponse> {
  const url = new URL(path, emu.url);
  const version = opts.apiVersion === undefined ? '2022-10-01.16.0' : opts.apiVersion;
  if (version !== null) url.searchParams.set('api-version', version);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json; odata=minimalmetadata; charset=utf-8',
    'ocp-date': new Date().toUTCString(),
    ...(opts.headers ?? {}),
  };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (!opts.unsigned) {
    const [toSign] = stringsToSign(
      {
        method,
        rawPath: url.pathname,
        query: [...url.searchParams.entries()],
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      },
      emu.accountName,
    );
    headers.authorization = `SharedKey ${emu.accountName}:${sign(toSign, opts.key ?? emu.accountKey)}`;
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

/** The SDK's RestError carries the Batch code and the parsed flat body. */
export interface BatchRestError {
  statusCode: number;
  code: string;
  body?: { message?: { value?: string }; values?: { key: string; value: string }[] };
}

export async function batchError(p: Promise<unknown>): Promise<BatchRestError> {
  try {
    await p;
  } catch (err) {
    return err as BatchRestError;
  }
  throw new Error('expected the call to fail');
}

/** Task counts as Batch answers them, every state not given 0. */
export function taskCounts(
  counts: Partial<Record<'active' | 'running' | 'completed' | 'succeeded' | 'failed', number>>,
) {
  return { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0, ...counts };
}
