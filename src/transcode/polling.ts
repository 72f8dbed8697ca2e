// How long to wait before the next poll. Pure functions: the workflow calls them, the bench
// replays them on measured completion curves, and unit tests check them.

/** What one task-counts poll saw, and when (workflow time). */
export interface TaskPollObservation {
  atMs: number;
  completed: number;
}

export interface TaskPollBounds {
  minIntervalMs: number;
  maxIntervalMs: number;
}

/** Share of the estimated time left to wait before looking again. */
export const ETA_FRACTION = 0.25;
/** Growth of the interval while nothing completes. */
export const IDLE_BACKOFF = 1.5;

/** The longest wait, as a share of the time the tasks have been running. */
export const RUNNING_FRACTION = 0.1;

/**
 * Next wait between task-counts polls. While tasks complete, a quarter of the time the current
 * completion rate says is left: few polls on long runs, and the last completion seen soon after
 * it happens. While nothing completes, x1.5 per poll. Never more than a tenth of the time the
 * tasks have been running (`runningSinceMs`), so tasks that all end together after a short
 * while are seen soon after; always within [min, max].
 */
export function nextTaskPollIntervalMs(args: {
  previousIntervalMs: number;
  previous?: TaskPollObservation;
  current: TaskPollObservation;
  total: number;
  bounds: TaskPollBounds;
  /** When the tasks could start running (workflow time); no bound when unknown. */
  runningSinceMs?: number;
}): number {
  const { previous, current, bounds } = args;
  const ceiling =
    args.runningSinceMs === undefined
      ? bounds.maxIntervalMs
      : Math.min(bounds.maxIntervalMs, RUNNING_FRACTION * (current.atMs - args.runningSinceMs));
  const clamp = (ms: number) => Math.max(bounds.minIntervalMs, Math.min(ceiling, ms));
  const done = previous ? current.completed - previous.completed : 0;
  if (!previous || done <= 0) return clamp(args.previousIntervalMs * IDLE_BACKOFF);
  const rate = done / Math.max(1, current.atMs - previous.atMs);
  const etaMs = Math.max(0, args.total - current.completed) / rate;
  return clamp(ETA_FRACTION * etaMs);
}

/** First wait between pool polls: a local pool is ready in well under a second. */
const FIRST_POOL_POLL_MS = 250;

/** The first pool poll interval: 250 ms, or the configured minimum if higher, within the maximum. */
export function firstPoolPollIntervalMs(bounds: TaskPollBounds): number {
  return Math.min(bounds.maxIntervalMs, Math.max(FIRST_POOL_POLL_MS, bounds.minIntervalMs));
}

/**
 * Pool polls grow x1.5 up to the maximum: allocation takes minutes on Azure, and starting at
 * 250 ms costs only a few polls more in all.
 */
export function nextPoolPollIntervalMs(previousMs: number, bounds: TaskPollBounds): number {
  return Math.min(bounds.maxIntervalMs, previousMs * IDLE_BACKOFF);
}
