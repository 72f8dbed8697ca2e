// Human-readable lines for progress and results; colours only on a TTY and never with NO_COLOR.
import type { Progress } from '../workflows/transcode/progress';
import type { TranscodeResult } from '../workflows/transcode/workflow';

export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env);
}

const paint =
  (code: number) =>
  (text: string, on = useColour()) =>
    on ? `\u001b[${code}m${text}\u001b[0m` : text;
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const bold = paint(1);

export function seconds(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function nodesReady(progress: Progress): string {
  const states = progress.pool.nodeStates;
  const total = Object.values(states).reduce((a, b) => a + b, 0);
  const ready = (states.idle ?? 0) + (states.running ?? 0);
  return `${ready}/${total} nodes ready`;
}

/** One plain line: what a log or a non-TTY terminal shows at each change. */
export function progressLine(progress: Progress, etaMs?: number): string {
  const c = progress.tasks.counts;
  const parts = [`[${progress.phase}]`];
  if (progress.files) parts.push(`${progress.files} files`);
  if (progress.pool.allocationState)
    parts.push(`pool ${progress.pool.allocationState}, ${nodesReady(progress)}`);
  if (progress.tasks.total) {
    parts.push(
      `tasks ${c.completed}/${progress.tasks.total} done (${c.running} running, ${c.active} waiting, ${c.failed} failed)`,
    );
  }
  if (etaMs !== undefined) parts.push(`about ${seconds(etaMs)} left`);
  if (progress.phase === 'awaiting-cleanup-decision') {
    parts.push(`cleanup decision needed before ${progress.cleanup.decisionDeadline}`);
  }
  return parts.join('  ');
}

export function resultSummary(result: TranscodeResult, uiLink: string): string {
  const ok = result.status === 'succeeded';
  const lines = [
    `${bold('Result:')} ${(ok ? green : red)(result.status)} — ${result.message}`,
    `  tasks: ${result.counts.succeeded} succeeded, ${result.counts.failed} failed of ${result.counts.completed} completed`,
    `  outputs: ${result.outputs.length} in container ${result.outputContainer}` +
      (result.downloaded ? `, downloaded to ${result.downloaded.dir}` : ''),
  ];
  for (const failed of result.failedTasks) {
    lines.push(
      `  ${red('failed')} ${failed.taskId} (${failed.inputBlob}): exit ${failed.exitCode ?? '-'}` +
        `${failed.failureCode ? `, ${failed.failureCode}` : ''}` +
        `${failed.stderrTail ? `\n      ${lastLines(failed.stderrTail, 3).join('\n      ')}` : ''}`,
    );
  }
  if (result.missingOutputs.length)
    lines.push(`  ${red('missing outputs')}: ${result.missingOutputs.join(', ')}`);
  if (result.unfinishedTasks.length) {
    lines.push(`  ${yellow('unfinished')}: ${result.unfinishedTasks.slice(0, 20).join(', ')}`);
  }
  lines.push(`  created: ${result.resources.created.join(', ') || 'nothing'}`);
  lines.push(`  deleted: ${result.resources.deleted.join(', ') || 'nothing'}`);
  if (result.resources.kept.length) lines.push(`  kept: ${result.resources.kept.join(', ')}`);
  const phases = Object.entries(result.phaseMs)
    .filter(([, ms]) => (ms ?? 0) > 0)
    .map(([phase, ms]) => `${phase} ${seconds(ms)}`);
  lines.push(`  time: ${seconds(result.totalMs)} (${phases.join(', ')})`);
  lines.push(`  Web UI: ${uiLink}`);
  return lines.join('\n');
}

function lastLines(text: string, count: number): string[] {
  return text.trimEnd().split('\n').slice(-count);
}
