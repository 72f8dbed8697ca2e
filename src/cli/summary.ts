// What a run came to, for a person: the result's summary (the end of `start --wait`, `result`,
// `npm start`) and `status`. Pure, like the progress lines beside it (format.ts).
import type { FailedTask, Progress, TranscodeResult } from '../transcode';
import { inspectionText, usageText } from '../transcode';
import {
  bold,
  cleanupHint,
  green,
  nodesReady,
  progressLine,
  red,
  seconds,
  useColour,
  yellow,
} from './format';

/** What is left to convert after a run that ended with files not converted, if anything. */
function leftToConvert(result: TranscodeResult): number {
  if (result.status === 'succeeded' || result.status === 'failed') return 0;
  return (
    (result.failedCount ?? result.failedTasks.length) +
    (result.unfinishedCount ?? result.unfinishedTasks.length) +
    (result.missingCount ?? result.missingOutputs.length)
  );
}

/** The result for a person; with the run's id, the command that converts what is left. */
export function resultSummary(
  result: TranscodeResult,
  uiLink: string,
  workflowId?: string,
): string {
  const ok = result.status === 'succeeded';
  const lines = [
    `${bold('Result:')} ${(ok ? green : red)(result.status)} — ${result.message}`,
    `  tasks: ${taskTally(result)}` +
      (result.tasksRetried
        ? ` (${result.tasksRetried} tried again after a failed download or upload of their own)`
        : ''),
    `  outputs: ${result.outputCount} in container ${result.outputContainer}` +
      (result.reused ? `, ${result.reused} reused (stored from the same input and command)` : '') +
      (result.downloaded ? `, downloaded to ${result.downloaded.dir}` : ''),
  ];
  lines.push(...failureLines(result.failedTasks, result.outputContainer));
  if (result.missingOutputs.length)
    lines.push(`  ${red('missing outputs')}: ${result.missingOutputs.join(', ')}`);
  if (result.unfinishedTasks.length) {
    lines.push(`  ${yellow('unfinished')}: ${result.unfinishedTasks.slice(0, 20).join(', ')}`);
  }
  lines.push(`  created: ${result.resources.created.join(', ') || 'nothing'}`);
  lines.push(`  deleted: ${result.resources.deleted.join(', ') || 'nothing'}`);
  if (result.resources.kept.length) lines.push(`  kept: ${result.resources.kept.join(', ')}`);
  lines.push(timeLine(result.totalMs, result.phaseMs));
  if (result.usage) lines.push(`  ${usageText(result.usage)}`);
  const left = leftToConvert(result);
  if (workflowId && left > 0) {
    lines.push(
      `  ${yellow(`${left} file(s) left to convert`)}: npm run client -- retry ${workflowId}`,
    );
  }
  lines.push(`  Web UI: ${uiLink}`);
  return lines.join('\n');
}

/**
 * Each failed task: its file, exit code and failure code, the end of its stderr, and where its
 * logs are kept (in `outputContainer`, when known).
 */
function failureLines(failures: FailedTask[], outputContainer?: string): string[] {
  return failures.map(
    (failed) =>
      `  ${red('failed')} ${failed.taskId} (${failed.inputBlob}): exit ${failed.exitCode ?? '-'}` +
      `${failed.failureCode ? `, ${failed.failureCode}` : ''}` +
      `${failed.stderrTail ? `\n      ${lastLines(failed.stderrTail, 3).join('\n      ')}` : ''}` +
      (failed.logs
        ? `\n      logs: ${outputContainer ? `${outputContainer}/` : ''}${failed.logs}/ ` +
          `(stdout.txt, stderr.txt${outputContainer ? '' : ', in the output container'})`
        : ''),
  );
}

/** The time a run has taken, phase by phase: `5.5 s (preparing 0.7 s, running 2.0 s)`. */
function timeLine(totalMs: number, phaseMs: Progress['phaseMs']): string {
  const phases = Object.entries(phaseMs)
    .filter(([, ms]) => (ms ?? 0) > 0)
    .map(([phase, ms]) => `${phase} ${seconds(ms)}`);
  return `  time: ${seconds(totalMs)} (${phases.join(', ')})`;
}

/**
 * How the tasks ended, as the run classified them: Batch counts a task ended by a terminate
 * (a cancel, the timeout, the failure limit) as failed; the run counts it as unfinished.
 */
function taskTally(result: TranscodeResult): string {
  const failed = result.failedCount ?? result.failedTasks.length;
  const unfinished = result.unfinishedCount ?? result.unfinishedTasks.length;
  return (
    `${result.counts.succeeded} succeeded, ${failed} failed` +
    (unfinished ? `, ${unfinished} unfinished` : '') +
    ` of ${result.counts.succeeded + failed + unfinished}`
  );
}

/** What `status` tells a person about a run, from what could be read of it. */
export interface RunStatus {
  workflowId: string;
  /** Temporal's status of the run (RUNNING, COMPLETED, FAILED...). */
  status: string;
  /** The progress query's answer (none when no worker answered it). */
  progress?: Progress;
  /** A completed run's result. */
  result?: TranscodeResult;
  /** Why a run that ended without a result ended. */
  error?: string;
  uiLink: string;
}

/**
 * `status` for a person: a completed run as its result says it; any other as its progress
 * says it — the phase and counts, the pool and job, the failures so far with their stderr,
 * what it waits for, and the time each phase took.
 */
export function runStatusText(run: RunStatus): string {
  const header = `${bold(run.workflowId)}: ${run.status.toLowerCase()}`;
  if (run.result) return `${header}\n${resultSummary(run.result, run.uiLink, run.workflowId)}`;
  const lines = [header];
  const { progress } = run;
  if (run.error) lines.push(`  ${red('error')}: ${run.error}`);
  if (!progress) {
    lines.push('  progress: not available (no worker answered; `npm run worker` serves it)');
  } else {
    lines.push(`  ${progressLine({ progress }, useColour())}`);
    const resources = [
      progress.pool.created || progress.pool.reused
        ? `pool ${progress.pool.id}` +
          (progress.pool.allocationState
            ? ` (${progress.pool.allocationState}, ${nodesReady(progress)})`
            : '')
        : '',
      progress.job.created
        ? `job ${progress.job.id}${progress.job.terminated ? ' (terminated)' : ''}`
        : '',
    ].filter(Boolean);
    if (resources.length) lines.push(`  resources: ${resources.join(', ')}`);
    const seen = progress.inspection && inspectionText(progress.inspection);
    if (seen) lines.push(`  input folder: ${seen}`);
    lines.push(...failureLines(progress.failures));
    const failedMore =
      (progress.failedCount ?? progress.failures.length) - progress.failures.length;
    if (failedMore > 0) lines.push(`  and ${failedMore} more failed task(s)`);
    if (progress.unfinishedTasks.length) {
      lines.push(`  ${yellow('unfinished')}: ${progress.unfinishedTasks.slice(0, 20).join(', ')}`);
    }
    if (progress.cancelReason) lines.push(`  cancelled: ${progress.cancelReason}`);
    if (progress.error && progress.error !== run.error) lines.push(`  error: ${progress.error}`);
    if (progress.phase === 'awaiting-cleanup-decision') lines.push(`  ${cleanupHint(progress)}`);
    if (progress.cleanup.deleted.length) {
      lines.push(`  deleted: ${progress.cleanup.deleted.join(', ')}`);
    }
    if (progress.cleanup.kept.length) lines.push(`  kept: ${progress.cleanup.kept.join(', ')}`);
    const elapsed = Date.parse(progress.updatedAt) - Date.parse(progress.startedAt);
    lines.push(timeLine(Number.isFinite(elapsed) ? elapsed : 0, progress.phaseMs));
    if (progress.usage) lines.push(`  ${usageText(progress.usage)}`);
  }
  lines.push(`  Web UI: ${run.uiLink}`);
  return lines.join('\n');
}

function lastLines(text: string, count: number): string[] {
  return text.trimEnd().split('\n').slice(-count);
}
