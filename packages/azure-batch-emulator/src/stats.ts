export interface StatsSnapshot {
  operations: Record<string, Record<string, number>>;
  faults: Record<string, number>;
}

/**
 * Per-operation answer counts by status (`reset` when the connection was dropped) and injected
 * faults by kind. Persisted with the state so counts survive a restart.
 */
export class Stats {
  private operations: Record<string, Record<string, number>> = {};
  private faults: Record<string, number> = {};

  record(operation: string, status: number | string): void {
    const byStatus = (this.operations[operation] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  }

  fault(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return { operations: structuredClone(this.operations), faults: { ...this.faults } };
  }

  restore(s: StatsSnapshot | undefined): void {
    this.operations = structuredClone(s?.operations ?? {});
    this.faults = { ...(s?.faults ?? {}) };
  }

  reset(): void {
    this.restore(undefined);
  }
}
