/** Tracked timers, so stop and reset can cancel everything pending at once. */
export class Timers {
  private pending = new Set<NodeJS.Timeout>();

  constructor(private readonly onError: (err: unknown) => void) {}

  after(ms: number, fn: () => void | Promise<void>): void {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      try {
        const r = fn();
        if (r instanceof Promise) r.catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    }, ms);
    this.pending.add(handle);
  }

  clearAll(): void {
    for (const h of this.pending) clearTimeout(h);
    this.pending.clear();
  }
}
