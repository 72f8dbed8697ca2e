// Step 5: the durable wait for the tasks: one taskcounts request per poll and a timer between
// polls, paced by the completion rate. True when the timeout passed first.
import { sleep } from '@temporalio/workflow';
import { continueAsNewIfLong } from './continue-as-new';
import { nextTaskPollIntervalMs } from './polling';
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
    if (counts.completed >= progress.tasks.total) return false;
    const now = Date.now();
    if (now >= deadline) return true;
    const current = { atMs: now, completed: counts.completed };
    state.taskPoll = {
      intervalMs: nextTaskPollIntervalMs({
        previousIntervalMs: state.taskPoll.intervalMs,
        previous: state.taskPoll.last,
        current,
        total: progress.tasks.total,
        bounds: plan.polling,
      }),
      last: current,
    };
    await sleep(Math.min(state.taskPoll.intervalMs, deadline - now), {
      summary: `Wait for tasks, poll ${progress.polls}`,
    });
    await continueAsNewIfLong(run);
  }
}
