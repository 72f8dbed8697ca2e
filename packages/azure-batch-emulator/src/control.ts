// A client of the control plane (/_emulator/ on the emulator's port): what tests and benchmarks
// use to read statistics, inject faults and preempt nodes of an emulator in another process.
// Plain fetch and types only: importing it (`azure-batch-emulator/control`) loads no server code.
import type { FaultSettings, FaultSettingsInput } from './faults';
import type { EmulatorStats } from './server';

export type { EmulatorStats } from './server';
export type { FaultSettings, FaultSettingsInput } from './faults';

/** GET /_emulator/health */
export interface EmulatorHealth {
  service: 'azure-batch-emulator';
  version: string;
  url: string;
  accountName: string;
}

/** A control-plane answer other than the expected 2xx. */
export class EmulatorControlError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`emulator ${method} /_emulator/${path}: HTTP ${status} ${body}`.trim());
    this.name = 'EmulatorControlError';
  }
}

/** The control plane of the emulator at `url` (http://127.0.0.1:PORT; loopback callers only). */
export class EmulatorControl {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/_emulator/${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new EmulatorControlError(method, path, response.status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  health(): Promise<EmulatorHealth> {
    return this.call('GET', 'health');
  }

  /**
   * Answers per REST operation and status, injected faults, requests per api-version
   * (`apiVersions`), clients that hung up (`disconnected`), created and live counts.
   */
  stats(): Promise<EmulatorStats> {
    return this.call('GET', 'stats');
  }

  /** Forgets pools, jobs, tasks, node directories, statistics and fault settings. */
  async reset(): Promise<void> {
    await this.call('POST', 'reset');
  }

  faults(): Promise<FaultSettings> {
    return this.call('GET', 'faults');
  }

  /** Replaces the fault settings (missing fields take their defaults, so `{}` turns all off). */
  setFaults(settings: FaultSettingsInput): Promise<FaultSettings> {
    return this.call('PUT', 'faults', settings);
  }

  /** Merges fields into the fault settings. */
  mergeFaults(settings: FaultSettingsInput): Promise<FaultSettings> {
    return this.call('PATCH', 'faults', settings);
  }

  /** Preempts one low-priority node (409 for a dedicated one); returns the preempted node ids. */
  async preemptNode(poolId: string, nodeId: string): Promise<string[]> {
    const path = `pools/${encodeURIComponent(poolId)}/nodes/${encodeURIComponent(nodeId)}/preempt`;
    return (await this.call<{ preempted: string[] }>('POST', path)).preempted;
  }

  /** Preempts `count` low-priority nodes of the pool, busiest first. */
  async preempt(poolId: string, count = 1): Promise<string[]> {
    const path = `pools/${encodeURIComponent(poolId)}/preempt?count=${count}`;
    return (await this.call<{ preempted: string[] }>('POST', path)).preempted;
  }

  /** Waits until the emulator holds no job (deletes are asynchronous). */
  async waitUntilNoJobs(timeoutMs = 120_000, intervalMs = 200): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.stats()).live.jobs > 0) {
      if (Date.now() > deadline) throw new Error(`the emulator at ${this.url} still holds a job`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Difference of the "ever created" counters between two snapshots: what was created meanwhile. */
export function createdSince(
  before: EmulatorStats,
  after: EmulatorStats,
): { pools: number; jobs: number; tasks: number } {
  return {
    pools: after.created.pools - before.created.pools,
    jobs: after.created.jobs - before.created.jobs,
    tasks: after.created.tasks - before.created.tasks,
  };
}

/** Requests of one operation (`Job_GetTaskCounts`), every status, answered between two snapshots. */
export function operationCount(
  before: EmulatorStats,
  after: EmulatorStats,
  operation: string,
): number {
  const sum = (s: EmulatorStats) =>
    Object.values(s.operations[operation] ?? {}).reduce((a, b) => a + b, 0);
  return sum(after) - sum(before);
}

// One-call forms taking the emulator's URL.

export function emulatorStats(url: string): Promise<EmulatorStats> {
  return new EmulatorControl(url).stats();
}

/**
 * PUT /_emulator/faults. Takes settings of any shape, as read from a scenario: the emulator
 * validates them (an EmulatorControlError with status 400 names what is wrong).
 */
export async function setEmulatorFaults(url: string, settings: unknown): Promise<void> {
  await new EmulatorControl(url).setFaults(settings as FaultSettingsInput);
}

export function waitUntilNoJobs(url: string, timeoutMs?: number): Promise<void> {
  return new EmulatorControl(url).waitUntilNoJobs(timeoutMs);
}
