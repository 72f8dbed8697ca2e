// Where a run's time went, from its result (phaseMs) and its history (activities).
import { PHASES, type Phase, type TaskCounts, type TaskWatchResult } from '../src/transcode';
import type { MeasuredRun } from './run';
import { activityTable, type ActivitySpan } from './history';
import { comparePolicies, type CurvePoint, type PolicyOutcome } from './polling-sim';

export const round = (ms: number): number => Math.round(ms);

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** a / b to two decimals, as the figures are given. */
export const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

/** The workflow's phases, in order, with the time spent in each (ms). */
export function phaseBreakdown(run: MeasuredRun): Partial<Record<Phase, number>> {
  const order: readonly Phase[] = PHASES;
  const out: Partial<Record<Phase, number>> = {};
  const phases = run.result.phaseMs;
  // The known order first, then any phase this list does not know yet.
  const known = order.filter((phase) => phases[phase] !== undefined);
  const others = (Object.keys(phases) as Phase[]).filter(
    (phase) => !order.includes(phase) && phase !== 'done',
  );
  for (const phase of [...known, ...others]) out[phase] = round(phases[phase] ?? 0);
  return out;
}

function span(spans: ActivitySpan[], type: string): { from: number; to: number } | undefined {
  const of = spans.filter((s) => s.type === type);
  if (of.length === 0) return undefined;
  return {
    from: Math.min(...of.map((s) => s.scheduledMs)),
    to: Math.max(...of.map((s) => s.closedMs)),
  };
}

export interface PollProfile {
  /** Task-counts requests: the run's own count (one per poll, wherever it is made). */
  polls: number;
  /** Task watches (watchTasks activities) the polls ran in; absent: polled from the workflow. */
  watches?: number;
  /** Time between the poll that first saw every task completed and the one before it. */
  lastPollGapMs: number;
  /** Mean time between polls while tasks ran. */
  meanGapMs: number;
  /** Mean time one getTaskCounts activity took from schedule to completion (workflow polls). */
  meanPollActivityMs?: number;
  /** History events written per poll while the tasks ran (activities, timers, workflow tasks). */
  eventsPerPoll: number;
  /** Other polling policies replayed on the completion curve these polls observed. */
  simulated: PolicyOutcome[];
}

/** History events between two times (ms), per poll. */
function eventsPerPoll(run: MeasuredRun, fromMs: number, toMs: number, polls: number): number {
  const events = run.history.eventTimesMs.filter((t) => t >= fromMs && t <= toMs).length;
  return Math.round((events / Math.max(1, polls)) * 10) / 10;
}

export function pollProfile(run: MeasuredRun): PollProfile {
  const watches = run.history.activities
    .filter((s) => s.type === 'watchTasks')
    .sort((a, b) => a.closedMs - b.closedMs);
  if (watches.length > 0) return watchProfile(run, watches);
  const polls = run.history.activities
    .filter((s) => s.type === 'getTaskCounts')
    .sort((a, b) => a.closedMs - b.closedMs);
  const gaps = polls.slice(1).map((p, i) => p.closedMs - polls[i].closedMs);
  const from = polls[0]?.scheduledMs ?? 0;
  const to = polls.at(-1)?.closedMs ?? 0;
  const points: CurvePoint[] = polls.map((p) => ({
    atMs: p.closedMs,
    completed: (p.result as TaskCounts | undefined)?.completed ?? 0,
  }));
  return {
    polls: polls.length,
    lastPollGapMs: round(gaps.at(-1) ?? 0),
    meanGapMs: round(gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length)),
    meanPollActivityMs: round(
      polls.reduce((n, p) => n + (p.closedMs - p.scheduledMs), 0) / Math.max(1, polls.length),
    ),
    eventsPerPoll: eventsPerPoll(run, from, to, polls.length),
    simulated: comparePolicies(points, run.progress.tasks.total),
  };
}

/**
 * Polls inside task watches: the history holds what each watch handed back (its last poll and
 * the one before), not every poll, so the curve for the replayed policies has a point per watch.
 */
function watchProfile(run: MeasuredRun, watches: ActivitySpan[]): PollProfile {
  const results = watches.flatMap((w) => (w.result ? [w.result as TaskWatchResult] : []));
  const last = results.at(-1);
  const polls = last?.pacing.polls ?? run.progress.polls;
  const from = watches[0].startedMs ?? watches[0].scheduledMs;
  const to = watches.at(-1)?.closedMs ?? from;
  const lastAt = last?.pacing.last?.atMs;
  const previousAt = last?.previous?.atMs;
  const points: CurvePoint[] = results.flatMap((r) =>
    r.pacing.last ? [{ atMs: r.pacing.last.atMs, completed: r.pacing.last.completed }] : [],
  );
  return {
    polls,
    watches: watches.length,
    lastPollGapMs: round(
      lastAt !== undefined && previousAt !== undefined ? lastAt - previousAt : 0,
    ),
    meanGapMs: round((to - from) / Math.max(1, polls)),
    eventsPerPoll: eventsPerPoll(run, from, to, polls),
    simulated: comparePolicies(points, run.progress.tasks.total),
  };
}

/** The tutorial's own steps: upload, pool ready, tasks (add + run), collect, cleanup. */
export function stepBreakdown(run: MeasuredRun) {
  const spans = run.history.activities;
  const upload = span(spans, 'uploadInputs');
  const poolCreate = span(spans, 'createPoolIfAbsent');
  const poolStatus = span(spans, 'getPoolStatus');
  const phases = run.result.phaseMs;
  return {
    uploadMs: round(upload ? upload.to - upload.from : 0),
    poolReadyMs: round(poolCreate && poolStatus ? poolStatus.to - poolCreate.from : 0),
    /** Upload ‖ pool, as the workflow waits for both. */
    uploadOrPoolMs: round((phases.uploading ?? 0) + (phases['waiting-for-pool'] ?? 0)),
    addTasksMs: round(phases['adding-tasks'] ?? 0),
    runTasksMs: round(phases.running ?? 0),
    collectMs: round(phases.collecting ?? 0),
    cleanupMs: round(phases['cleaning-up'] ?? 0),
    beforeUploadMs: round((phases.validating ?? 0) + (phases.preparing ?? 0)),
    createJobMs: round(phases['creating-job'] ?? 0),
  };
}

/** Per activity type: calls, queue time and run time (ms), from the history. */
export function activityProfile(run: MeasuredRun) {
  const table = activityTable(run.history.activities);
  return Object.fromEntries(
    Object.entries(table).map(([type, row]) => [
      type,
      {
        count: row.count,
        failed: row.failed,
        queueMs: round(row.queueMs),
        runMs: round(row.runMs),
      },
    ]),
  );
}
