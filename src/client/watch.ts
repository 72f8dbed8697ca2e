// Live progress of a run: a bar on a TTY, plain lines otherwise, JSON lines with --json.
// Reads the workflow's `progress` query once a second until the run ends.
import { SingleBar } from 'cli-progress';
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../workflows/transcode/messages';
import type { Progress } from '../workflows/transcode/progress';
import type { transcodeWorkflow, TranscodeResult } from '../workflows/transcode/workflow';
import { progressLine } from './format';

export interface WatchOptions {
  json: boolean;
  tty: boolean;
  intervalMs?: number;
  /** Called once when the run waits for a cleanup decision (e.g. to ask the person). */
  onCleanupDecision?: (progress: Progress) => Promise<void>;
}

/** Estimates the time left from the rate of completed tasks since the first sample. */
export class EtaEstimator {
  private first?: { at: number; done: number };
  estimate(done: number, total: number, now = Date.now()): number | undefined {
    if (!this.first) this.first = { at: now, done };
    const elapsed = now - this.first.at;
    const finished = done - this.first.done;
    if (finished <= 0 || elapsed <= 0 || done >= total) return undefined;
    return ((total - done) * elapsed) / finished;
  }
}

export async function watchRun(
  handle: WorkflowHandle<typeof transcodeWorkflow>,
  options: WatchOptions,
): Promise<TranscodeResult> {
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  const eta = new EtaEstimator();
  let bar: SingleBar | undefined;
  let lastLine = '';
  let asked = false;
  while (!finished) {
    let progress: Progress | undefined;
    try {
      progress = await handle.query(progressQuery);
    } catch {
      progress = undefined; // the run may have just closed, or no worker yet: try again
    }
    if (progress) {
      const left =
        progress.phase === 'running'
          ? eta.estimate(progress.tasks.counts.completed, progress.tasks.total)
          : undefined;
      if (options.json) {
        const line = JSON.stringify({ progress });
        if (line !== lastLine) process.stdout.write(`${line}\n`);
        lastLine = line;
      } else if (options.tty && progress.tasks.total > 0 && progress.phase === 'running') {
        bar ??= new SingleBar({
          format: 'tasks [{bar}] {value}/{total} | {running} running, {failed} failed | {eta_text}',
          hideCursor: true,
          clearOnComplete: false,
        });
        const payload = {
          running: progress.tasks.counts.running,
          failed: progress.tasks.counts.failed,
          eta_text: left === undefined ? 'estimating' : `about ${Math.ceil(left / 1000)} s left`,
        };
        if (!bar.isActive)
          bar.start(progress.tasks.total, progress.tasks.counts.completed, payload);
        else bar.update(progress.tasks.counts.completed, payload);
      } else {
        if (bar?.isActive) bar.stop();
        const line = progressLine(progress, left);
        if (line !== lastLine) console.log(line);
        lastLine = line;
      }
      if (progress.phase === 'awaiting-cleanup-decision' && !asked && options.onCleanupDecision) {
        asked = true;
        if (bar?.isActive) bar.stop();
        await options.onCleanupDecision(progress);
      }
    }
    await Promise.race([result.catch(() => undefined), sleep(options.intervalMs ?? 1000)]);
  }
  if (bar?.isActive) bar.stop();
  return await result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
