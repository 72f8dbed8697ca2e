// Tasks that failed on their own storage transfers, run again. Batch retries a task only when its
// command exits nonzero: a resource file it could not download, or an output it could not upload
// (the storage account unavailable or throttling for a moment), fails the task for good. The
// watch reactivates such a task after a short wait, a few times, like any retried request.
// Pure: the watch activity and the tests share these rules.
import type { TaskCounts } from './progress';

/** Batch's failure codes for a task's own downloads and uploads that a later try can fix. */
export const TRANSIENT_TASK_FAILURE_CODES: ReadonlySet<string> = new Set([
  'BlobDownloadMiscError',
  'BlobDownloadTimedOut',
  'FileUploadMiscError',
]);

/** Statuses no later try changes (a SAS refused, a blob or container missing). */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 409]);

export const TASK_RETRY = {
  /** Reactivations of one task before its failure counts. */
  perTask: 3,
  /** Wait after the failure before the first reactivation; doubled for each one after. */
  firstDelayMs: 2_000,
  /** Tasks followed at once: the record travels with the run's state, so it stays small. */
  tasksFollowed: 200,
} as const;

/** A failed task as the watch lists it. */
export interface FailedTaskSeen {
  taskId: string;
  code?: string;
  /** The storage service's answer, when Batch gives it (failureInfo.details HttpStatusCode). */
  httpStatus?: number;
  /** When the failed try ended (epoch ms). */
  endMs?: number;
}

/** What the watch keeps between polls (heartbeated, and in the run's state between watches). */
export interface TaskRetryState {
  /** Reactivations so far, by task id (only tasks reactivated at least once). */
  reactivated: Record<string, number>;
  /** Failed tasks listed and found final at the last listing: fewer means nothing new failed. */
  finalFailed: number;
}

export const NO_TASK_RETRIES: TaskRetryState = { reactivated: {}, finalFailed: 0 };

export function isTransientTaskFailure(task: FailedTaskSeen): boolean {
  if (!task.code || !TRANSIENT_TASK_FAILURE_CODES.has(task.code)) return false;
  return task.httpStatus === undefined || !PERMANENT_STATUSES.has(task.httpStatus);
}

/** When a failed task may be reactivated, or undefined when its failure is final. */
export function reactivationDueMs(task: FailedTaskSeen, state: TaskRetryState): number | undefined {
  if (!isTransientTaskFailure(task)) return undefined;
  const tries = state.reactivated[task.taskId] ?? 0;
  if (tries >= TASK_RETRY.perTask) return undefined;
  if (tries === 0 && Object.keys(state.reactivated).length >= TASK_RETRY.tasksFollowed) {
    return undefined;
  }
  return (task.endMs ?? 0) + TASK_RETRY.firstDelayMs * 2 ** tries;
}

/** The failed tasks sorted: reactivate now, wait for (with the earliest time due), final. */
export function planTaskRetries(
  failed: readonly FailedTaskSeen[],
  state: TaskRetryState,
  nowMs: number,
): { now: string[]; waiting: string[]; nextDueMs?: number; final: number } {
  const now: string[] = [];
  const waiting: string[] = [];
  let nextDueMs: number | undefined;
  let final = 0;
  for (const task of failed) {
    const due = reactivationDueMs(task, state);
    if (due === undefined) final++;
    else if (due <= nowMs) now.push(task.taskId);
    else {
      waiting.push(task.taskId);
      nextDueMs = Math.min(nextDueMs ?? due, due);
    }
  }
  return { now, waiting, final, ...(nextDueMs !== undefined ? { nextDueMs } : {}) };
}

/**
 * The counts as the run should see them: a task reactivated or waiting to be is neither
 * completed nor failed but waiting (active) again.
 */
export function countsWithRetries(counts: TaskCounts, again: number): TaskCounts {
  const n = Math.min(again, counts.failed);
  return {
    ...counts,
    active: counts.active + n,
    completed: counts.completed - n,
    failed: counts.failed - n,
  };
}
