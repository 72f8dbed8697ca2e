// The Batch emulator's control plane, which tests use to prove nothing was created twice.

export interface EmulatorStats {
  created: { pools: number; jobs: number; tasks: number };
  live: { pools: number; jobs: number; tasks: number };
  operations: Record<string, Record<string, number>>;
  /** Injected faults by kind. */
  faults: Record<string, number>;
}

export async function emulatorStats(batchUrl: string): Promise<EmulatorStats> {
  const response = await fetch(`${batchUrl}/_emulator/stats`);
  if (!response.ok) throw new Error(`emulator stats: HTTP ${response.status}`);
  return (await response.json()) as EmulatorStats;
}

export async function setEmulatorFaults(batchUrl: string, faults: unknown): Promise<void> {
  const response = await fetch(`${batchUrl}/_emulator/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok)
    throw new Error(`emulator faults: HTTP ${response.status} ${await response.text()}`);
}

/** Difference of the "ever created" counters between two snapshots. */
export function createdSince(before: EmulatorStats, after: EmulatorStats) {
  return {
    pools: after.created.pools - before.created.pools,
    jobs: after.created.jobs - before.created.jobs,
    tasks: after.created.tasks - before.created.tasks,
  };
}
