// Step 5: the durable wait for the tasks: one taskcounts request per poll and a timer between
// polls, paced by the completion rate. True when the timeout passed first.
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { failureLimit } from '../../transcode';
import { continueAsNewIfLong } from './continue-as-new';
import { nextTaskPollIntervalMs } from './polling';
import { fitPoolToQueue } from './pool';
import type { Run } from './run';

export async function waitForTasks(run: Run): Promise<boolean> {
  const { plan, state, progress } = run;
  const deadline = Date.parse(progress.tasksDeadline ?? new Date().toISOString());
  for (;;) {
    const counts = await run
      .quick(`Task counts, poll ${progress.polls + 1}`)
      .getTaskCounts({ jobId: plan.jobId });
    progress.polls++;
    progress.tasks.counts = counts;
    run.touch();
    const limit = failureLimit(plan, progress.tasks.total);
    if (counts.failed > limit) {
      // A broken command fails every task: stop paying for the rest (the job is terminated,
      // the results name the first failures, cleanup runs per the policy).
      throw ApplicationFailure.create({
        type: 'TooManyFailures',
        nonRetryable: true,
        message: `${counts.failed} task(s) failed, more than the ${limit} allowed (failures.maxFailedTasks / maxFailedPercent): the run was stopped.`,
      });
    }
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
