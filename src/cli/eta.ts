// Time left for the tasks, from the rate at which they complete.

interface Sample {
  at: number;
  done: number;
}

/**
 * Estimates the time left from the completion rate over a recent window (at least `windowMs`
 * of samples, so a long run's estimate follows its current speed). No estimate before a task
 * completes while watching; while none completes the estimate grows with the time waited.
 */
export class EtaEstimator {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 5 * 60_000) {}

  estimate(done: number, total: number, now = Date.now()): number | undefined {
    const last = this.samples.at(-1);
    if (last && (done < last.done || now < last.at)) this.samples = []; // another run, or a clock jump
    this.samples.push({ at: now, done });
    // Keep the newest sample that is at least a window old, and everything after it.
    while (this.samples.length > 2 && now - this.samples[1].at >= this.windowMs) {
      this.samples.shift();
    }
    if (done >= total) return undefined;
    const first = this.samples[0];
    const elapsed = now - first.at;
    const finished = done - first.done;
    if (finished <= 0 || elapsed <= 0) return undefined;
    return ((total - done) * elapsed) / finished;
  }
}
