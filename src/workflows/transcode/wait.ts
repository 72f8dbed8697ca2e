// Step 5: the durable wait for the tasks, one taskcounts request per poll, paced by the
// completion rate. The polls run inside one activity (watchTasks) that hands back only when the
// run has to act; runs from before it poll from the workflow, a timer between polls.
// True when the timeout passed first.
import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import {
  failureLimit,
  nextTaskPollIntervalMs,
  WATCH_LAP_INTERVALS,
  type TaskCounts,
} from '../../transcode';
import { continueAsNewIfLong } from './continue-as-new';
import { fitPoolToQueue, nodesDueAtMs, shrinkWatch } from './pool';
import type { Run } from './run';

export async function waitForTasks(run: Run): Promise<boolean> {
  if (!patched('tasks-watched-in-activity')) return await pollFromWorkflow(run);
  const { plan, state, progress } = run;
  const deadline = tasksDeadlineMs(run);
  for (;;) {
    const { end, counts, pacing } = await run
      .long(`Watch tasks from poll ${progress.polls + 1}`)
      .watchTasks({
        jobId: plan.jobId,
        total: progress.tasks.total,
        failureLimit: failureLimit(plan, progress.tasks.total),
        deadlineMs: deadline,
        runningSinceMs: deadline - plan.timeoutMs,
        returnByMs: Math.min(
          nodesDueAtMs(run),
          Date.now() + WATCH_LAP_INTERVALS * plan.polling.maxIntervalMs,
        ),
        bounds: {
          minIntervalMs: plan.polling.minIntervalMs,
          maxIntervalMs: plan.polling.maxIntervalMs,
        },
        pacing: { polls: progress.polls, ...state.taskPoll },
        shrink: shrinkWatch(run),
      });
    progress.polls = pacing.polls;
    progress.tasks.counts = counts;
    state.taskPoll = { intervalMs: pacing.intervalMs, last: pacing.last };
    // Data only, no command: older histories replay the same with it.
    if (pacing.retries) {
      state.taskPoll.retries = pacing.retries;
      progress.tasks.retried = Object.values(pacing.retries.reactivated).reduce((a, b) => a + b, 0);
    }
    run.touch();
    stopOnTooManyFailures(run, counts);
    if (counts.completed >= progress.tasks.total) return false;
    if (end === 'deadline' || Date.now() >= deadline) return true;
    await fitPoolToQueue(run, counts);
    if (end === 'pool-can-shrink') state.fittedAtRunning = counts.running;
    await continueAsNewIfLong(run);
  }
}

function tasksDeadlineMs(run: Run): number {
  return Date.parse(run.progress.tasksDeadline ?? new Date().toISOString());
}

/**
 * A broken command fails every task: stop paying for the rest (the job is terminated, the
 * results name the first failures, cleanup runs per the policy).
 */
function stopOnTooManyFailures(run: Run, counts: TaskCounts): void {
  const limit = failureLimit(run.plan, run.progress.tasks.total);
  if (counts.failed <= limit) return;
  throw ApplicationFailure.create({
    type: 'TooManyFailures',
    nonRetryable: true,
    message: `${counts.failed} task(s) failed, more than the ${limit} allowed (failures.maxFailedTasks / maxFailedPercent): the run was stopped.`,
  });
}

/** Runs from before the task watch: a getTaskCounts activity and a timer per poll. */
async function pollFromWorkflow(run: Run): Promise<boolean> {
  const { plan, state, progress } = run;
  const deadline = tasksDeadlineMs(run);
  for (;;) {
    const counts = await run
      .quick(`Task counts, poll ${progress.polls + 1}`)
      .getTaskCounts({ jobId: plan.jobId });
    progress.polls++;
    progress.tasks.counts = counts;
    run.touch();
    stopOnTooManyFailures(run, counts);
    if (counts.completed >= progress.tasks.total) return false;
    const now = Date.now();
    if (now >= deadline) return true;
    await fitPoolToQueue(run, counts);
    const current = { atMs: now, completed: counts.completed };
    state.taskPoll = {
      intervalMs: nextTaskPollIntervalMs({
        previousIntervalMs: state.taskPoll.intervalMs,
        previous: state.taskPoll.last,
        current,
        total: progress.tasks.total,
        bounds: plan.polling,
        runningSinceMs: deadline - plan.timeoutMs,
      }),
      last: current,
    };
    await sleep(Math.min(state.taskPoll.intervalMs, deadline - now), {
      summary: `Wait for tasks, poll ${progress.polls}`,
    });
    await continueAsNewIfLong(run);
  }
}
