// The wait for the tasks, inside one activity: a task-counts request at the pace the workflow
// keeps, what it saw heartbeated, and back to the workflow only when the run has to act (the
// end, too many failures, the timeout, a pool to shrink, the node listing due). A poll made by
// the workflow costs an activity, a timer and two workflow tasks; here it costs one request.
import { Context } from '@temporalio/activity';
import {
  countsWithRetries,
  isTaskWatchBeat,
  NO_TASK_RETRIES,
  pacingAfter,
  planTaskRetries,
  waitBeforeNextPollMs,
  watchEnd,
  type TaskCounts,
  type TaskRetryState,
  type TaskWatch,
  type TaskWatchBeat,
  type TaskWatchResult,
} from '../../transcode';
import type { BatchClients } from './clients';
import { listFailedTasks, reactivateTask } from './task-retry';
import { countTasks } from './tasks';

/**
 * Longest sleep between heartbeats, so a slow pace never looks like a dead worker: this, or half
 * the heartbeat timeout when that is shorter.
 */
const HEARTBEAT_EVERY_MS = 5_000;

export function createWatchActivities({ batch }: BatchClients) {
  /**
   * When more tasks failed than the last listing found final, the failed ones are listed and
   * those that failed on a transfer of their own are reactivated once due (rules in
   * src/transcode/task-retry.ts); the counts then show them waiting, not failed. Without new
   * failures this costs no request.
   */
  async function retryFailedTransfers(
    jobId: string,
    raw: TaskCounts,
    retries: TaskRetryState,
    nowMs: number,
  ): Promise<{ counts: TaskCounts; retries: TaskRetryState; retryDueMs?: number }> {
    if (raw.failed <= retries.finalFailed) return { counts: raw, retries };
    const plan = planTaskRetries(await listFailedTasks(batch, jobId), retries, nowMs);
    const reactivated = { ...retries.reactivated };
    for (const taskId of plan.now) {
      await reactivateTask(batch, jobId, taskId);
      reactivated[taskId] = (reactivated[taskId] ?? 0) + 1;
    }
    // Counted failed but not listed so (the counts lag the listing on Azure): waiting too.
    return {
      counts: countsWithRetries(raw, raw.failed - plan.final),
      retries: { reactivated, finalFailed: plan.final },
      retryDueMs: plan.nextDueMs,
    };
  }

  return {
    /** Polls until the workflow has something to do; a retried attempt resumes the pacing. */
    async watchTasks(watch: TaskWatch): Promise<TaskWatchResult> {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as unknown;
      let pacing = isTaskWatchBeat(resumed) ? resumed.pacing : watch.pacing;
      const beatEveryMs = Math.min(
        HEARTBEAT_EVERY_MS,
        (context.info.heartbeatTimeoutMs ?? Infinity) / 2,
      );
      for (;;) {
        const raw = await countTasks(batch, watch.jobId);
        const now = Date.now();
        const { counts, retries, retryDueMs } = await retryFailedTransfers(
          watch.jobId,
          raw,
          pacing.retries ?? NO_TASK_RETRIES,
          now,
        );
        const previous = pacing.last;
        pacing = {
          ...pacingAfter(watch, pacing, { atMs: now, completed: counts.completed }),
          ...(retries !== NO_TASK_RETRIES ? { retries } : {}),
        };
        const beat: TaskWatchBeat = { counts, pacing };
        context.heartbeat(beat);
        const end = watchEnd(watch, counts, now);
        if (end) return { end, counts, pacing, previous };
        // Cancellation (a cancelled run) ends the sleep with a CancelledFailure.
        const untilRetryMs = retryDueMs === undefined ? Infinity : retryDueMs - now;
        for (
          let left = Math.min(waitBeforeNextPollMs(watch, pacing, now), untilRetryMs);
          left > 0;
        ) {
          const slice = Math.min(left, beatEveryMs);
          await context.sleep(slice);
          left -= slice;
          context.heartbeat(beat);
        }
      }
    },
  };
}
