// Live progress of a run until it ends: one line rewritten in place on a TTY (with a bar), plain
// lines at each change otherwise, JSON lines with --json. Each second it asks the workflow's
// `progress` query; while files upload and tasks are added (and every few seconds, for retries)
// it also reads the pending activities, whose heartbeats carry the upload's files and bytes and
// the tasks added so far.
import type { WorkflowHandle } from '@temporalio/client';
import {
  inspectionText,
  progressQuery,
  type Progress,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../transcode';
import { EtaEstimator } from './eta';
import {
  changeKey,
  cleanupHint,
  progressLine,
  statusLine,
  useColour,
  yellow,
  type Snapshot,
} from './format';
import { heatmapLines } from './heatmap';
import { readPending, withWatchedCounts, type PendingView } from './pending';
import type { PoolNode } from '../activities/batch/nodes';

export { EtaEstimator } from './eta';

/** Where progress goes: process.stdout, or anything with write() in tests. */
export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface WatchOptions {
  json: boolean;
  /** Rewrite one line in place (a terminal); otherwise print a line at each change. */
  tty: boolean;
  intervalMs?: number;
  /** Called once when the run waits for a cleanup decision (e.g. to ask the person). */
  onCleanupDecision?: (progress: Progress) => Promise<void>;
  out?: Output;
  /** Default: on a TTY unless NO_COLOR is set. */
  colour?: boolean;
  /**
   * The pool's nodes (undefined: no pool), drawn as a heatmap under the live line of a TTY;
   * asked once per look, never for plain or JSON lines.
   */
  nodes?: (progress: Progress) => Promise<PoolNode[] | undefined>;
}

/** Pending activities are read this often outside the upload (for retries). */
const DESCRIBE_EVERY = 5;
/** Failed looks in a row before saying so. */
const QUIET_FAILURES = 3;

export interface Renderer {
  show(snapshot: Snapshot): void;
  /** A message of its own, between progress lines. */
  note(text: string): void;
  /** Leave the line, e.g. before a question on the terminal. */
  pause(): void;
  end(): void;
}

/** One JSON object per line, at each change: {progress, upload?, etaMs?, retrying?} or {notice}. */
export class JsonRenderer implements Renderer {
  private last = '';
  constructor(private readonly out: Output) {}
  show(snapshot: Snapshot): void {
    const key = changeKey(snapshot);
    if (key === this.last) return;
    this.last = key;
    const { progress, upload, etaMs, retrying } = snapshot;
    const line = {
      progress,
      upload,
      etaMs: etaMs === undefined ? undefined : Math.round(etaMs),
      retrying,
    };
    this.out.write(`${JSON.stringify(line)}\n`);
  }
  note(text: string): void {
    this.out.write(`${JSON.stringify({ notice: text })}\n`);
  }
  pause(): void {}
  end(): void {}
}

/** A plain line at each change of the facts (not at each tick of the estimate). */
export class PlainRenderer implements Renderer {
  private last = '';
  constructor(
    private readonly out: Output,
    private readonly colour = false,
  ) {}
  show(snapshot: Snapshot): void {
    const key = changeKey(snapshot);
    if (key === this.last) return;
    this.last = key;
    this.out.write(`${progressLine(snapshot, this.colour)}\n`);
  }
  note(text: string): void {
    this.out.write(`${yellow(text, this.colour)}\n`);
  }
  pause(): void {}
  end(): void {}
}

/**
 * One live line, rewritten in place, with the pool's heatmap under it when the nodes are known;
 * a finished phase's last line stays above it.
 */
export class TtyRenderer implements Renderer {
  private live = false;
  private phase?: string;
  private lastSnapshot?: Snapshot;
  /** Heatmap lines drawn under the live line (the cursor stays on the live line). */
  private below = 0;
  constructor(
    private readonly out: Output,
    private readonly colour: boolean,
  ) {}
  show(snapshot: Snapshot): void {
    if (this.live && snapshot.progress.phase !== this.phase) this.out.write('\n');
    this.phase = snapshot.progress.phase;
    this.lastSnapshot = snapshot;
    const width = this.out.columns || 100; // 0 on a terminal of unknown size
    const heatmap = heatmapLines(snapshot.nodes ?? [], { colour: this.colour, width });
    this.out.write(
      `${this.clear()}${statusLine(snapshot, { colour: this.colour, width })}` +
        heatmap.map((line) => `\n${line}`).join('') +
        (heatmap.length ? `\u001b[${heatmap.length}A\r` : ''),
    );
    this.below = heatmap.length;
    this.live = true;
  }
  note(text: string): void {
    if (this.live) this.out.write(this.clear());
    this.below = 0;
    this.out.write(`${yellow(text, this.colour)}\n`);
    this.live = false;
    if (this.lastSnapshot) this.show(this.lastSnapshot);
  }
  /** Erases the live line, and the heatmap drawn under it last time (to the screen's end). */
  private clear(): string {
    return `\r\u001b[2K${this.below ? '\u001b[0J' : ''}`;
  }
  pause(): void {
    // Below the heatmap, which stays on screen above whatever comes next.
    if (this.live) this.out.write(`${this.below ? `\u001b[${this.below}B` : ''}\n`);
    this.below = 0;
    this.live = false;
    this.phase = undefined;
  }
  end(): void {
    this.pause();
  }
}

export function createRenderer(options: WatchOptions, out: Output): Renderer {
  if (options.json) return new JsonRenderer(out);
  const colour = options.colour ?? useColour(out);
  return options.tty ? new TtyRenderer(out, colour) : new PlainRenderer(out, colour);
}

type TranscodeHandle = WorkflowHandle<TranscodeWorkflow>;

/** One look at the run: its progress query, and its pending activities when they matter. */
class Looker {
  private readonly eta = new EtaEstimator();
  private pending: PendingView = { retrying: [] };
  private looks = 0;

  constructor(
    private readonly handle: TranscodeHandle,
    private readonly nodes?: WatchOptions['nodes'],
  ) {}

  async look(): Promise<Snapshot> {
    const queried = await this.handle.query(progressQuery);
    const adding = queried.phase === 'uploading' || queried.phase === 'adding-tasks';
    // While the tasks run, their counts are in the task watch's heartbeat.
    if (adding || queried.phase === 'running' || this.looks % DESCRIBE_EVERY === 0) {
      const description = await this.handle.describe();
      const pending = await readPending(
        description.raw.pendingActivities ?? [],
        this.handle.client.options.loadedDataConverter,
        queried,
      );
      // The upload just completed (no longer pending) but the run has not moved on yet: keep
      // showing how far it got rather than starting again from zero.
      pending.upload ??= queried.phase === 'uploading' ? this.pending.upload : undefined;
      this.pending = pending;
    }
    this.looks++;
    const progress =
      queried.phase === 'running' ? withWatchedCounts(queried, this.pending.taskWatch) : queried;
    const etaMs =
      progress.phase === 'running'
        ? this.eta.estimate(progress.tasks.counts.completed, progress.tasks.total)
        : undefined;
    // A node list that cannot be read (no Azure settings here, a throttled call) only hides
    // the heatmap: the progress line matters more.
    const nodes =
      this.nodes && progress.status === 'running' && progress.pool.id
        ? await this.nodes(progress).catch(() => undefined)
        : undefined;
    return {
      progress,
      upload: progress.phase === 'uploading' ? this.pending.upload : undefined,
      etaMs,
      retrying: this.pending.retrying.length > 0 ? this.pending.retrying : undefined,
      nodes,
      tasksAdded: adding ? this.pending.tasksAdded : undefined,
    };
  }
}

export async function watchRun(
  handle: TranscodeHandle,
  options: WatchOptions,
): Promise<TranscodeResult> {
  const out = options.out ?? process.stdout;
  const renderer = createRenderer(options, out);
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  const looker = new Looker(handle, options.tty && !options.json ? options.nodes : undefined);
  let asked = false;
  let inspectionTold = false;
  let failures = 0;
  try {
    while (!finished) {
      let snapshot: Snapshot | undefined;
      try {
        snapshot = await looker.look();
        failures = 0;
      } catch (err) {
        // The run may have just closed, or no worker answers yet: try again, and say so if it lasts.
        if (++failures === QUIET_FAILURES && !finished) {
          renderer.note(
            `No progress from ${handle.workflowId} yet (is a worker running?): ` +
              (err instanceof Error ? err.message : String(err)),
          );
        }
      }
      if (snapshot) {
        const { progress } = snapshot;
        // Once: what the folder held besides the files to convert (a subfolder, a broken link).
        const seen = !inspectionTold && progress.inspection && inspectionText(progress.inspection);
        if (seen) renderer.note(`Input folder: ${seen}`);
        inspectionTold ||= progress.inspection !== undefined;
        renderer.show(snapshot);
        if (progress.phase === 'awaiting-cleanup-decision' && !asked) {
          asked = true;
          if (options.onCleanupDecision) {
            renderer.pause();
            await options.onCleanupDecision(progress);
          } else {
            renderer.note(cleanupHint(progress));
          }
        }
      }
      await untilEndOr(result, options.intervalMs ?? 1000);
    }
  } finally {
    renderer.end();
  }
  return await result;
}

/** Waits `ms` or until the run ends, whichever is first; no timer is left to hold the process. */
async function untilEndOr(result: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      result.catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
