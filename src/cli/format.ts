// Human-readable lines for progress and results. Pure: what to print is decided here, where and
// when in watch.ts. Colours only on a TTY and never with NO_COLOR (https://no-color.org).
import type { Phase, Progress } from '../transcode';
import type { PoolNode } from '../activities/batch/nodes';

type Env = Record<string, string | undefined>;

/** Colour on this stream: a TTY, and NO_COLOR unset or empty. */
export function useColour(
  stream: { isTTY?: boolean } = process.stdout,
  env: Env = process.env,
): boolean {
  return Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

const paint =
  (code: number) =>
  (text: string, on = useColour()) =>
    on ? `\u001b[${code}m${text}\u001b[0m` : text;
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const cyan = paint(36);
export const dim = paint(2);
export const bold = paint(1);

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The text without colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function seconds(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A time left, rounded as a person would say it: 8 s, 40 s, 3 min 20 s, 25 min, 2 h 5 min. */
export function roughDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 600) {
    const tens = Math.round(s / 10) * 10;
    const rest = tens % 60;
    return `${Math.floor(tens / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function nodesReady(progress: Progress): string {
  const states = progress.pool.nodeStates;
  const total = Object.values(states).reduce((a, b) => a + b, 0);
  const ready = (states.idle ?? 0) + (states.running ?? 0);
  return `${ready}/${total} nodes ready`;
}

/** Upload progress, from the uploadInputs activity's heartbeat (none when inputs are blobs already). */
export interface UploadProgress {
  files: number;
  /** Files uploaded or already stored (skipped). */
  filesDone: number;
  skipped: number;
  /** Bytes of all inputs, and of those uploaded so far (skipped files not counted). */
  bytes: number;
  bytesSent: number;
}

/** An activity retrying after a failure: what an operator should know about while waiting. */
export interface Retrying {
  activity: string;
  attempt: number;
  message?: string;
}

/** Everything one look at a run shows. */
export interface Snapshot {
  progress: Progress;
  upload?: UploadProgress;
  /** Estimated time until every task has completed. */
  etaMs?: number;
  retrying?: Retrying[];
  /** The pool's nodes, for the heatmap under the live line (a TTY with a node list only). */
  nodes?: PoolNode[];
  /** Tasks added so far, from the addTasks activity's heartbeat while it runs. */
  tasksAdded?: number;
}

/** Phases in which the pool's allocation and nodes are news. */
const POOL_PHASES: ReadonlySet<Phase> = new Set([
  'uploading',
  'creating-job',
  'adding-tasks',
  'waiting-for-pool',
  'running',
]);

/** Phases before the first task count: the tasks are added, not yet counted. */
const BEFORE_COUNTS: ReadonlySet<Phase> = new Set([
  'uploading',
  'creating-job',
  'adding-tasks',
  'waiting-for-pool',
]);

interface Part {
  text: string;
  colour?: (text: string, on?: boolean) => string;
}

function parts(snapshot: Snapshot): Part[] {
  const { progress, upload, etaMs, retrying } = snapshot;
  const c = progress.tasks.counts;
  const out: Part[] = [];
  if (progress.files) out.push({ text: `${progress.files} files, ${bytes(progress.inputBytes)}` });
  if (progress.reused) out.push({ text: `${progress.reused} reused` });
  if (progress.phase === 'uploading' && upload) {
    const u = upload;
    out.push({
      text:
        `upload ${u.filesDone}/${u.files} files, ${bytes(u.bytesSent)} sent` +
        (u.skipped ? ` (${u.skipped} already stored)` : ''),
    });
  }
  if (POOL_PHASES.has(progress.phase) && progress.pool.allocationState) {
    out.push({ text: `pool ${progress.pool.allocationState}, ${nodesReady(progress)}` });
  }
  if (progress.tasks.total && progress.polls === 0 && BEFORE_COUNTS.has(progress.phase)) {
    // Not counted yet (the tasks may be running already): how many are added so far.
    const added = snapshot.tasksAdded ?? progress.tasks.added;
    out.push({ text: `tasks ${added}/${progress.tasks.total} added` });
  } else if (progress.tasks.total) {
    out.push({
      text: `tasks ${c.completed}/${progress.tasks.total} done (${c.running} running, ${c.active} waiting)`,
      colour: c.completed === progress.tasks.total ? green : undefined,
    });
    // Once the results are in, the run's own count: tasks a terminate ended are unfinished.
    const failed = progress.failedCount ?? c.failed;
    if (failed) out.push({ text: `${failed} failed`, colour: red });
    if (progress.unfinishedCount) {
      out.push({ text: `${progress.unfinishedCount} unfinished`, colour: yellow });
    }
    if (progress.tasks.retried) {
      out.push({ text: `${progress.tasks.retried} tried again`, colour: yellow });
    }
  }
  if (etaMs !== undefined) out.push({ text: `about ${roughDuration(etaMs)} left` });
  if (progress.waitingFor) out.push({ text: `waiting for ${progress.waitingFor}`, colour: yellow });
  if (progress.phase === 'awaiting-cleanup-decision') {
    out.push({
      text: `cleanup decision needed before ${progress.cleanup.decisionDeadline ?? 'the deadline'}`,
      colour: yellow,
    });
  }
  for (const r of retrying ?? []) {
    out.push({
      text: `retrying ${r.activity} (attempt ${r.attempt}${r.message ? `: ${oneLine(r.message, 80)}` : ''})`,
      colour: yellow,
    });
  }
  return out;
}

const SEPARATOR = ' · ';

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** One plain line: what a log or a non-TTY terminal shows at each change. */
export function progressLine(snapshot: Snapshot, colour = false): string {
  const tag = `[${snapshot.progress.phase}]`;
  const facts = parts(snapshot).map((p) => (p.colour ? p.colour(p.text, colour) : p.text));
  return facts.length ? `${cyan(tag, colour)} ${facts.join(SEPARATOR)}` : cyan(tag, colour);
}

/** A bar of `width` cells, `fraction` of them full. */
export function bar(fraction: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/**
 * The live line of a TTY: a bar for the upload or the tasks, then the same facts as
 * progressLine, cut to the terminal's width so that rewriting it in place never wraps.
 */
export function statusLine(
  snapshot: Snapshot,
  options: { colour: boolean; width: number },
): string {
  const { progress, upload } = snapshot;
  let fraction: number | undefined;
  if (progress.phase === 'uploading' && upload?.files) {
    fraction = upload.filesDone / upload.files;
  } else if (progress.tasks.total && progress.phase === 'running') {
    fraction = progress.tasks.counts.completed / progress.tasks.total;
  }
  const segments: Part[] = [{ text: progress.phase, colour: cyan }];
  if (fraction !== undefined) segments.push({ text: bar(fraction, 20), colour: green });
  segments.push(...parts(snapshot));
  let line = '';
  let visible = 0;
  const width = Math.max(20, options.width - 1);
  for (const [i, part] of segments.entries()) {
    const sep = i === 0 ? '' : i === 1 || (i === 2 && fraction !== undefined) ? '  ' : SEPARATOR;
    let text = part.text;
    const room = width - visible - sep.length;
    if (room <= 1) break;
    if (text.length > room) text = `${text.slice(0, room - 1)}…`;
    line += sep + (part.colour ? part.colour(text, options.colour) : text);
    visible += sep.length + text.length;
  }
  return line;
}

/**
 * What makes a new plain or JSON line worth printing: the facts, not the clock (the estimate
 * and the update time change at every poll).
 */
export function changeKey(snapshot: Snapshot): string {
  const { progress, upload, retrying } = snapshot;
  return JSON.stringify([
    progress.phase,
    progress.status,
    progress.files,
    progress.reused,
    progress.pool.allocationState,
    progress.pool.nodeStates,
    progress.tasks,
    progress.failures.length,
    progress.cleanup.decision,
    progress.waitingFor,
    upload,
    retrying,
  ]);
}

/** What to tell a person when nobody is asked on this terminal. */
export function cleanupHint(progress: Progress): string {
  const id = progress.workflowId;
  return (
    `Waiting for a cleanup decision until ${progress.cleanup.decisionDeadline ?? 'the deadline'}: ` +
    `npm run client -- approve-cleanup ${id} (add --keep to keep job ${progress.job.id} and pool ${progress.pool.id})`
  );
}
