// What other polling policies would have done on a measured run: the task-completion curve the
// run's own polls observed (from the history), replayed under each policy, counting polls and
// the lag between the last task completing and a poll seeing it.

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

type Policy = (state: { intervalMs: number; changed: boolean; etaMs?: number }) => number;

/** The workflow's current rule: halve on change (not below min), x1.5 otherwise (up to max). */
export const currentPolicy =
  (minMs: number, maxMs: number): Policy =>
  ({ intervalMs, changed }) =>
    changed ? Math.max(minMs, intervalMs / 2) : Math.min(maxMs, intervalMs * 1.5);

/** Proposed: wait a fraction of the estimated time left (from the completion rate), clamped. */
export const etaPolicy =
  (fraction: number, minMs: number, maxMs: number): Policy =>
  (state) =>
    state.etaMs === undefined
      ? currentPolicy(minMs, maxMs)(state)
      : Math.min(maxMs, Math.max(minMs, fraction * state.etaMs));

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
  let t = curve[0].atMs;
  let intervalMs = firstIntervalMs;
  let previous: CurvePoint | undefined;
  for (let polls = 1; polls < 100_000; polls++) {
    const completed = completedAt(curve, t);
    if (completed >= total) return { policy: name, polls, detectionLagMs: Math.round(t - endMs) };
    const rate = previous ? (completed - previous.completed) / Math.max(1, t - previous.atMs) : 0;
    intervalMs = policy({
      intervalMs,
      changed: previous !== undefined && completed !== previous.completed,
      etaMs: rate > 0 ? (total - completed) / rate : undefined,
    });
    previous = { atMs: t, completed };
    t += intervalMs;
  }
  return { policy: name, polls: Infinity, detectionLagMs: NaN };
}

/** The current defaults and the proposals, replayed on one run's curve. */
export function comparePolicies(points: CurvePoint[], total: number): PolicyOutcome[] {
  const curve = completionCurve(points, total);
  if (curve.length < 3) return [];
  return [
    simulate('current (min 1 s, max 15 s)', curve, total, currentPolicy(1000, 15_000), 1000),
    simulate('current, min 0.25 s', curve, total, currentPolicy(250, 15_000), 250),
    simulate('ETA/2 (min 0.25 s, max 15 s)', curve, total, etaPolicy(0.5, 250, 15_000), 250),
    simulate('ETA/4 (min 0.25 s, max 15 s)', curve, total, etaPolicy(0.25, 250, 15_000), 250),
  ];
}
