// The wait for the tasks, inside one activity: a task-counts request at the pace the workflow
// keeps, what it saw heartbeated, and back to the workflow only when the run has to act (the
// end, too many failures, the timeout, a pool to shrink, the node listing due). A poll made by
// the workflow costs an activity, a timer and two workflow tasks; here it costs one request.
import { Context } from '@temporalio/activity';
import {
  isTaskWatchBeat,
  pacingAfter,
  waitBeforeNextPollMs,
  watchEnd,
  type TaskWatch,
  type TaskWatchBeat,
  type TaskWatchResult,
} from '../../transcode';
import type { BatchClients } from './clients';
import { countTasks } from './tasks';

/**
 * Longest sleep between heartbeats, so a slow pace never looks like a dead worker: this, or half
 * the heartbeat timeout when that is shorter.
 */
const HEARTBEAT_EVERY_MS = 5_000;

export function createWatchActivities({ batch }: BatchClients) {
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
        const counts = await countTasks(batch, watch.jobId);
        const now = Date.now();
        const previous = pacing.last;
        pacing = pacingAfter(watch, pacing, { atMs: now, completed: counts.completed });
        const beat: TaskWatchBeat = { counts, pacing };
        context.heartbeat(beat);
        const end = watchEnd(watch, counts, now);
        if (end) return { end, counts, pacing, previous };
        // Cancellation (a cancelled run) ends the sleep with a CancelledFailure.
        for (let left = waitBeforeNextPollMs(watch, pacing, now); left > 0;) {
          const slice = Math.min(left, beatEveryMs);
          await context.sleep(slice);
          left -= slice;
          context.heartbeat(beat);
        }
      }
    },
  };
}
