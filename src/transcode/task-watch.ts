// The wait for the tasks as one activity (watchTasks) that polls and hands back to the workflow
// only when the workflow has something to do. Pure: the activity, the workflow and the tests
// share these rules.
import { nextTaskPollIntervalMs, type TaskPollBounds, type TaskPollObservation } from './polling';
import type { TaskCounts } from './progress';
import type { TaskRetryState } from './task-retry';

/**
 * The watch hands back at least every this many longest intervals (a minute with the defaults),
 * so the run's own view (its query, the Web UI's details) is never far behind.
 */
export const WATCH_LAP_INTERVALS = 4;

/** Where the pacing of the task polls stands: heartbeated, and carried in the run's state. */
export interface TaskPacing {
  /** Task-counts requests so far in the run. */
  polls: number;
  intervalMs: number;
  last?: TaskPollObservation;
  /** Tasks reactivated after a failed transfer of their own (absent: none yet). */
  retries?: TaskRetryState;
}

/** What the workflow asks of one watch (times are epoch milliseconds). */
export interface TaskWatch {
  jobId: string;
  total: number;
  /** More failed tasks than this ends the watch: the run is stopped. */
  failureLimit: number;
  /** The tasks' timeout. */
  deadlineMs: number;
  /** When the tasks could start running: the pacing's "time running". */
  runningSinceMs: number;
  /** Hand back by then even if nothing changed (the run lists its nodes, keeps history short). */
  returnByMs: number;
  bounds: TaskPollBounds;
  pacing: TaskPacing;
  /**
   * For a pool the run owns: hand back when no task waits and fewer nodes would hold the
   * running ones, so the workflow can shrink it; not again for the running count it last
   * fitted the pool to (`fittedAtRunning`).
   */
  shrink?: { slotsPerNode: number; nodes: number; fittedAtRunning?: number };
}

export type TaskWatchEnd =
  'too-many-failures' | 'completed' | 'deadline' | 'pool-can-shrink' | 'lap';

export interface TaskWatchResult {
  end: TaskWatchEnd;
  counts: TaskCounts;
  pacing: TaskPacing;
  /** The poll before the last one: how late the last change could have been seen. */
  previous?: TaskPollObservation;
}

/** What the watch heartbeats: a retried attempt resumes the pacing, a watcher shows the counts. */
export interface TaskWatchBeat {
  counts: TaskCounts;
  pacing: TaskPacing;
}

export function isTaskWatchBeat(value: unknown): value is TaskWatchBeat {
  if (typeof value !== 'object' || value === null) return false;
  const { counts, pacing } = value as Partial<TaskWatchBeat>;
  return (
    typeof counts?.completed === 'number' &&
    typeof pacing?.polls === 'number' &&
    typeof pacing.intervalMs === 'number'
  );
}

/** No task waits, and fewer than `nodes` nodes would hold the tasks running. */
export function fewerNodesWouldDo(
  counts: TaskCounts,
  slotsPerNode: number,
  nodes: number,
): boolean {
  return counts.active === 0 && Math.ceil(counts.running / slotsPerNode) < nodes;
}

/** Why the watch hands back after a poll that saw `counts` at `nowMs`; undefined: keep polling. */
export function watchEnd(
  watch: TaskWatch,
  counts: TaskCounts,
  nowMs: number,
): TaskWatchEnd | undefined {
  if (counts.failed > watch.failureLimit) return 'too-many-failures';
  if (counts.completed >= watch.total) return 'completed';
  if (nowMs >= watch.deadlineMs) return 'deadline';
  const shrink = watch.shrink;
  if (
    shrink &&
    counts.running !== shrink.fittedAtRunning &&
    fewerNodesWouldDo(counts, shrink.slotsPerNode, shrink.nodes)
  ) {
    return 'pool-can-shrink';
  }
  if (nowMs >= watch.returnByMs) return 'lap';
  return undefined;
}

/** The pacing after one more poll that saw `current`. */
export function pacingAfter(
  watch: TaskWatch,
  pacing: TaskPacing,
  current: TaskPollObservation,
): TaskPacing {
  return {
    polls: pacing.polls + 1,
    intervalMs: nextTaskPollIntervalMs({
      previousIntervalMs: pacing.intervalMs,
      previous: pacing.last,
      current,
      total: watch.total,
      bounds: watch.bounds,
      runningSinceMs: watch.runningSinceMs,
    }),
    last: current,
  };
}

/** The wait before the next poll: the pacing's interval, cut short by the deadline or the lap. */
export function waitBeforeNextPollMs(watch: TaskWatch, pacing: TaskPacing, nowMs: number): number {
  return Math.max(
    0,
    Math.min(pacing.intervalMs, watch.deadlineMs - nowMs, watch.returnByMs - nowMs),
  );
}
