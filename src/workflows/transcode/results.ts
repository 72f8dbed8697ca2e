// Step 6: stop what still runs (after a failure, cancel or timeout), then the tasks' results,
// every expected output verified, and the outputs downloaded if asked.
import type { VerifiedOutputs } from '../../activities/storage';
import type { TranscodeResult } from '../../transcode';
import { step } from './failures';
import type { Run } from './run';

export interface Outputs {
  verified: VerifiedOutputs;
  downloaded?: TranscodeResult['downloaded'];
}

export async function terminateJobIfStopped(run: Run, timedOut: boolean): Promise<void> {
  const { plan, state, progress } = run;
  const stopped = progress.status === 'cancelled' || progress.status === 'failed' || timedOut;
  if (!state.created.job || !stopped) return;
  // Stop the tasks first, so the results below are final.
  await step(run, 'terminate job', async () => {
    run.enter('cleaning-up');
    const reason = progress.cancelReason ? 'UserCancel' : timedOut ? 'Timeout' : 'WorkflowFailed';
    await run.quick(`Terminate job ${plan.jobId}`).terminateJob({ jobId: plan.jobId, reason });
    progress.job.terminated = true;
    if (progress.tasks.added > 0) {
      // Final counts: the last poll was before the terminate.
      progress.tasks.counts = await run
        .quick('Task counts after terminate')
        .getTaskCounts({ jobId: plan.jobId });
    }
  });
}

export async function collectResults(run: Run): Promise<Outputs> {
  const { plan, progress } = run;
  const outputs: Outputs = { verified: { count: 0, bytes: 0, first: [], missing: [] } };
  if (progress.tasks.added === 0) return outputs;
  await step(run, 'collect results', async () => {
    run.enter('collecting');
    const results = await run
      .quick('Collect task results')
      .collectTaskResults({ jobId: plan.jobId });
    const inputOf = new Map(run.tasks.map((t) => [t.taskId, t.inputBlob]));
    for (const failed of results.failed)
      failed.inputBlob = inputOf.get(failed.taskId) ?? failed.taskId;
    progress.failures = results.failed;
    progress.unfinishedTasks = results.unfinished;
    const failedOrUnfinished = new Set([
      ...results.failed.map((f) => f.taskId),
      ...results.unfinished,
    ]);
    const expected = run.tasks
      .filter((t) => !failedOrUnfinished.has(t.taskId))
      .map((t) => t.outputBlob);
    outputs.verified = await run.quick(`Verify ${expected.length} outputs`).verifyOutputs({
      container: plan.outputContainer,
      names: expected,
    });
    if (plan.downloadDir && outputs.verified.count > 0) {
      run.enter('downloading');
      const missing = new Set(outputs.verified.missing);
      const summary = await run.long(`Download ${outputs.verified.count} outputs`).downloadOutputs({
        container: plan.outputContainer,
        names: expected.filter((name) => !missing.has(name)),
        dir: plan.downloadDir,
      });
      outputs.downloaded = { dir: plan.downloadDir, files: summary.files, bytes: summary.bytes };
    }
  });
  return outputs;
}
