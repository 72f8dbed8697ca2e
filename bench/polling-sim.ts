// What polling rules would have done on a measured run: the task-completion curve the
// run's own polls observed (from the history), replayed under each policy, counting polls and
// the lag between the last task completing and a poll seeing it.

import { DEFAULT_POLLING } from '../src/transcode';
import { nextTaskPollIntervalMs } from '../src/transcode';

export interface CurvePoint {
  atMs: number;
  completed: number;
}

export interface PolicyOutcome {
  policy: string;
  polls: number;
  /** Last task completed → the poll that saw every task completed. */
  detectionLagMs: number;
}

interface PollState {
  intervalMs: number;
  previous?: CurvePoint;
  current: CurvePoint;
  total: number;
  /** When the simulated run's tasks could start. */
  runningSinceMs: number;
}
type Policy = (state: PollState) => number;

/** The rule before ETA polling: halve on change (not below min), x1.5 otherwise (up to max). */
export const halvingPolicy =
  (minMs: number, maxMs: number): Policy =>
  ({ intervalMs, previous, current }) =>
    previous && current.completed !== previous.completed
      ? Math.max(minMs, intervalMs / 2)
      : Math.min(maxMs, intervalMs * 1.5);

/** The workflow's rule (src/workflows/transcode/polling.ts) within the given bounds. */
export const shippedPolicy =
  (minMs: number, maxMs: number): Policy =>
  (state) =>
    nextTaskPollIntervalMs({
      previousIntervalMs: state.intervalMs,
      previous: state.previous,
      current: state.current,
      total: state.total,
      bounds: { minIntervalMs: minMs, maxIntervalMs: maxMs },
      runningSinceMs: state.runningSinceMs,
    });

/** The curve observed by the polls, with the last task's completion time estimated. */
export function completionCurve(points: CurvePoint[], total: number): CurvePoint[] {
  const sorted = [...points].sort((a, b) => a.atMs - b.atMs);
  const last = sorted.length - 1;
  if (last < 2 || sorted[last].completed < total) return sorted;
  const [a, b, c] = [sorted[last - 2], sorted[last - 1], sorted[last]];
  const rate = (b.completed - a.completed) / Math.max(1, b.atMs - a.atMs);
  const endMs = rate > 0 ? b.atMs + (total - b.completed) / rate : c.atMs;
  return [
    ...sorted.slice(0, last),
    { atMs: Math.min(c.atMs, Math.max(b.atMs, endMs)), completed: total },
  ];
}

function completedAt(curve: CurvePoint[], t: number): number {
  if (t <= curve[0].atMs) return curve[0].completed;
  for (let i = 1; i < curve.length; i++) {
    const [a, b] = [curve[i - 1], curve[i]];
    if (t <= b.atMs) {
      return Math.floor(
        a.completed + ((b.completed - a.completed) * (t - a.atMs)) / (b.atMs - a.atMs || 1),
      );
    }
  }
  return curve[curve.length - 1].completed;
}

export function simulate(
  name: string,
  curve: CurvePoint[],
  total: number,
  policy: Policy,
  firstIntervalMs: number,
): PolicyOutcome {
  const endMs = curve[curve.length - 1].atMs;
  const runningSinceMs = curve[0].atMs;
  let t = curve[0].atMs;
  let intervalMs = firstIntervalMs;
  let previous: CurvePoint | undefined;
  for (let polls = 1; polls < 100_000; polls++) {
    const completed = completedAt(curve, t);
    if (completed >= total) return { policy: name, polls, detectionLagMs: Math.round(t - endMs) };
    const current = { atMs: t, completed };
    intervalMs = policy({ intervalMs, previous, current, total, runningSinceMs });
    previous = { atMs: t, completed };
    t += intervalMs;
  }
  return { policy: name, polls: Infinity, detectionLagMs: NaN };
}

/** The shipped rule and the one before it, replayed on one run's curve. */
export function comparePolicies(points: CurvePoint[], total: number): PolicyOutcome[] {
  const curve = completionCurve(points, total);
  if (curve.length < 3) return [];
  const { minIntervalSeconds, maxIntervalSeconds } = DEFAULT_POLLING;
  const [min, max] = [minIntervalSeconds * 1000, maxIntervalSeconds * 1000];
  return [
    simulate('shipped: ETA/4 (min 0.25 s, max 15 s)', curve, total, shippedPolicy(min, max), min),
    simulate('before: halve on change (min 1 s)', curve, total, halvingPolicy(1000, max), 1000),
    simulate('halve on change, min 0.25 s', curve, total, halvingPolicy(min, max), min),
  ];
}
