// The Batch emulator's control plane (GET /_emulator/stats): answers per REST operation.

export interface EmulatorStats {
  operations: Record<string, Record<string, number>>;
  created: { pools: number; jobs: number; tasks: number };
  live: { pools: number; jobs: number; tasks: number };
}

export async function emulatorStats(batchUrl: string): Promise<EmulatorStats> {
  const response = await fetch(`${batchUrl}/_emulator/stats`);
  if (!response.ok) throw new Error(`emulator stats: HTTP ${response.status}`);
  return (await response.json()) as EmulatorStats;
}

/** Requests of one operation (every status) answered between two snapshots. */
export function operationCount(
  before: EmulatorStats,
  after: EmulatorStats,
  operation: string,
): number {
  const sum = (s: EmulatorStats) =>
    Object.values(s.operations[operation] ?? {}).reduce((a, b) => a + b, 0);
  return sum(after) - sum(before);
}

/** Waits until the emulator holds no job (deletes are asynchronous and cost CPU meanwhile). */
export async function waitUntilNoJobs(batchUrl: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await emulatorStats(batchUrl)).live.jobs > 0) {
    if (Date.now() > deadline) throw new Error('the emulator still deletes a job');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
