// What the run returns, and the one-line message that says how it went.
import type { Progress, TranscodeResult } from '../../transcode';
import type { Outputs } from './results';
import type { Run } from './run';

export function outcome(run: Run, outputs: Outputs): TranscodeResult {
  const { verified, downloaded, list } = outputs;
  const { plan, state, progress } = run;
  const missing = outputs.missingCount ?? verified.missing.length;
  if (progress.status === 'running') {
    progress.status =
      progress.failures.length > 0 || missing > 0 ? 'partially-failed' : 'succeeded';
  }
  run.enter('done');
  return {
    status: progress.status,
    message: summarize(progress, verified.count, missing),
    counts: progress.tasks.counts,
    outputContainer: plan.outputContainer,
    outputCount: verified.count,
    outputBytes: verified.bytes,
    outputs: verified.first,
    missingOutputs: verified.missing,
    reused: progress.reused,
    failedTasks: progress.failures,
    unfinishedTasks: progress.unfinishedTasks,
    ...(progress.tasks.retried && { tasksRetried: progress.tasks.retried }),
    ...(progress.failedCount !== undefined && {
      failedCount: progress.failedCount,
      unfinishedCount: progress.unfinishedCount,
      missingCount: missing,
    }),
    ...(list && { resultsList: list }),
    downloaded,
    resources: {
      created: [
        ...(progress.pool.created ? [`pool ${plan.pool.id}`] : []),
        ...(progress.job.created ? [`job ${plan.jobId}`] : []),
        ...(state.created.inputContainer ? [`container ${plan.inputContainer}`] : []),
      ],
      deleted: progress.cleanup.deleted,
      kept: progress.cleanup.kept,
    },
    phaseMs: progress.phaseMs,
    usage: progress.usage,
    totalMs: Date.now() - state.startedAtMs,
  };
}

function summarize(progress: Progress, outputs: number, missing: number): string {
  const total = progress.tasks.total;
  switch (progress.status) {
    case 'cancelled':
      return `Cancelled (${progress.cancelReason}); ${outputs} of ${total} outputs stored.`;
    case 'timed-out':
      return `Timed out with ${progress.unfinishedCount ?? progress.unfinishedTasks.length} of ${total} task(s) unfinished; ${outputs} outputs stored.`;
    case 'failed':
      return `Failed: ${progress.error}`;
    default:
      return (
        `${outputs} of ${total} file(s) converted` +
        (progress.reused ? `; ${progress.reused} reused (stored from the same input)` : '') +
        (progress.failures.length
          ? `; ${progress.failedCount ?? progress.failures.length} task(s) failed`
          : '') +
        (missing ? `; ${missing} output(s) missing` : '') +
        '.'
      );
  }
}
