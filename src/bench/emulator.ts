// The Batch emulator's control plane (GET /_emulator/stats): answers per REST operation.

export interface EmulatorStats {
  operations: Record<string, Record<string, number>>;
  created: { pools: number; jobs: number; tasks: number };
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
