export interface StatsSnapshot {
  operations: Record<string, Record<string, number>>;
  faults: Record<string, number>;
  /** API requests per api-version as sent (`missing`; `unsupported` for one not served). */
  apiVersions: Record<string, number>;
  /** API requests whose client went away before its answer was sent. */
  disconnected: number;
}

/**
 * Per-operation answer counts by status (`reset` when a fault dropped the connection,
 * `disconnected` when the client did), injected faults by kind, and requests per api-version.
 * Persisted with the state so counts survive a restart.
 */
export class Stats {
  private operations: Record<string, Record<string, number>> = {};
  private faults: Record<string, number> = {};
  private apiVersions: Record<string, number> = {};
  private disconnected = 0;

  record(operation: string, status: number | string): void {
    const byStatus = (this.operations[operation] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  }

  fault(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  /** One API request carrying this api-version (a bucket name for a missing or unserved one). */
  apiVersion(version: string): void {
    this.apiVersions[version] = (this.apiVersions[version] ?? 0) + 1;
  }

  /** The client of a request of this operation hung up before it was answered. */
  clientGone(operation: string): void {
    this.disconnected += 1;
    this.record(operation, 'disconnected');
  }

  snapshot(): StatsSnapshot {
    return {
      operations: structuredClone(this.operations),
      faults: { ...this.faults },
      apiVersions: { ...this.apiVersions },
      disconnected: this.disconnected,
    };
  }

  restore(s: Partial<StatsSnapshot> | undefined): void {
    this.operations = structuredClone(s?.operations ?? {});
    this.faults = { ...(s?.faults ?? {}) };
    this.apiVersions = { ...(s?.apiVersions ?? {}) };
    this.disconnected = s?.disconnected ?? 0;
  }

  reset(): void {
    this.restore(undefined);
  }
}
