// A workflow's history over its continue-as-new chain, read from the server: events and bytes
// per run, and every activity, workflow task and timer with its times, for the profile.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

export interface ActivitySpan {
  type: string;
  scheduledMs: number;
  startedMs?: number;
  closedMs: number;
  outcome: 'completed' | 'failed' | 'timed-out' | 'cancelled';
  /** Decoded result, for the few types the profile reads (task counts). */
  result?: unknown;
}

export interface RunHistory {
  runId: string;
  events: number;
  bytes: number;
}

export interface ChainHistory {
  runs: RunHistory[];
  totalEvents: number;
  maxEvents: number;
  totalBytes: number;
  maxBytes: number;
  startedMs: number;
  closedMs: number;
  /** Time of every event of the chain, for "events per poll". */
  eventTimesMs: number[];
  activities: ActivitySpan[];
  /** Bytes of payload data by where it sits: `workflow input`, `uploadInputs input`, ... */
  payloadBytes: Record<string, number>;
  /** The largest single payload of the chain (data and metadata, as stored: encoded). */
  largestPayloadBytes: number;
  workflowTasks: { count: number; totalMs: number };
  timers: { count: number; totalMs: number };
}

const id = (value: { toString(): string } | null | undefined): number =>
  value == null ? 0 : Number(value.toString());
const KEEP_RESULTS = new Set(['getTaskCounts', 'watchTasks']);

type Payloads = { payloads?: Array<{ data?: Uint8Array | null }> | null } | null | undefined;
const sizeOf = (p: Payloads) => (p?.payloads ?? []).reduce((n, x) => n + (x.data?.length ?? 0), 0);

function payloadsOf(events: HistoryEvent[]): Record<string, number> {
  const bytes: Record<string, number> = {};
  const add = (key: string, n: number) => {
    if (n > 0) bytes[key] = (bytes[key] ?? 0) + n;
  };
  const typeOf = new Map<number, string>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '?';
      typeOf.set(id(e.eventId), type);
      add(`${type} input`, sizeOf(scheduled.input));
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      add(`${typeOf.get(id(completed.scheduledEventId)) ?? '?'} result`, sizeOf(completed.result));
    }
    add('workflow input', sizeOf(e.workflowExecutionStartedEventAttributes?.input));
    add('workflow result', sizeOf(e.workflowExecutionCompletedEventAttributes?.result));
    add('continue-as-new input', sizeOf(e.workflowExecutionContinuedAsNewEventAttributes?.input));
  }
  return bytes;
}

interface StoredPayload {
  data?: Uint8Array | null;
  metadata?: Record<string, Uint8Array | null | undefined> | null;
}

const payloadSize = (p: StoredPayload) =>
  (p.data?.length ?? 0) +
  Object.entries(p.metadata ?? {}).reduce((n, [k, v]) => n + k.length + (v?.length ?? 0), 0);

/**
 * The largest payload anywhere in these events, wherever it sits (inputs, results, heartbeat
 * details, signals, markers, memo, search attributes), so that no new kind of event escapes it.
 */
function largestPayload(events: HistoryEvent[]): number {
  let largest = 0;
  const walk = (value: unknown, depth: number): void => {
    if (depth > 16 || value === null || typeof value !== 'object' || value instanceof Uint8Array) {
      return;
    }
    const candidate = value as StoredPayload;
    if (candidate.data instanceof Uint8Array) {
      largest = Math.max(largest, payloadSize(candidate));
      return;
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, depth + 1);
  };
  for (const e of events) walk(e, 0);
  return largest;
}

function spansOf(
  events: HistoryEvent[],
): Pick<ChainHistory, 'activities' | 'workflowTasks' | 'timers'> {
  const scheduled = new Map<number, { type: string; at: number; startedMs?: number }>();
  const activities: ActivitySpan[] = [];
  const wfScheduled = new Map<number, number>();
  const timerStarted = new Map<number, number>();
  const workflowTasks = { count: 0, totalMs: 0 };
  const timers = { count: 0, totalMs: 0 };
  /** Counts one span that began at `from` (if its start was seen) and ended at `at`. */
  const tally = (acc: { count: number; totalMs: number }, from: number | undefined, at: number) => {
    if (from === undefined) return;
    acc.count++;
    acc.totalMs += at - from;
  };
  const close = (
    ref: Parameters<typeof id>[0],
    at: number,
    outcome: ActivitySpan['outcome'],
    payload?: Parameters<typeof defaultPayloadConverter.fromPayload>[0] | null,
  ) => {
    const s = scheduled.get(id(ref));
    if (!s) return;
    activities.push({
      type: s.type,
      scheduledMs: s.at,
      startedMs: s.startedMs,
      closedMs: at,
      outcome,
      result:
        payload && KEEP_RESULTS.has(s.type)
          ? defaultPayloadConverter.fromPayload(payload)
          : undefined,
    });
  };
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const eventId = id(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      const type = e.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
      scheduled.set(eventId, { type, at });
    } else if (e.activityTaskStartedEventAttributes) {
      const s = scheduled.get(id(e.activityTaskStartedEventAttributes.scheduledEventId));
      if (s) s.startedMs = at;
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      close(a.scheduledEventId, at, 'completed', a.result?.payloads?.[0]);
    } else if (e.activityTaskFailedEventAttributes) {
      close(e.activityTaskFailedEventAttributes.scheduledEventId, at, 'failed');
    } else if (e.activityTaskTimedOutEventAttributes) {
      close(e.activityTaskTimedOutEventAttributes.scheduledEventId, at, 'timed-out');
    } else if (e.activityTaskCanceledEventAttributes) {
      close(e.activityTaskCanceledEventAttributes.scheduledEventId, at, 'cancelled');
    } else if (e.workflowTaskScheduledEventAttributes) {
      wfScheduled.set(eventId, at);
    } else if (e.workflowTaskCompletedEventAttributes) {
      tally(
        workflowTasks,
        wfScheduled.get(id(e.workflowTaskCompletedEventAttributes.scheduledEventId)),
        at,
      );
    } else if (e.timerStartedEventAttributes) {
      timerStarted.set(eventId, at);
    } else if (e.timerFiredEventAttributes) {
      tally(timers, timerStarted.get(id(e.timerFiredEventAttributes.startedEventId)), at);
    }
  }
  return { activities, workflowTasks, timers };
}

/** Every run of the chain (oldest first), waiting until `expectedRuns` are visible. */
export async function chainHistory(
  client: Client,
  workflowId: string,
  expectedRuns = 1,
): Promise<ChainHistory> {
  let listed: Array<{ runId: string; startMs: number; bytes: number }> = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    listed = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      listed.push({
        runId: execution.runId,
        startMs: execution.startTime.getTime(),
        bytes: execution.historySize ?? 0,
      });
    }
    if (listed.length >= expectedRuns) break;
    await sleep(200);
  }
  listed.sort((a, b) => a.startMs - b.startMs);
  const runs: RunHistory[] = [];
  const all: HistoryEvent[] = [];
  for (const run of listed) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const events = history.events ?? [];
    runs.push({ runId: run.runId, events: events.length, bytes: run.bytes });
    all.push(...events);
  }
  const times = all.map((e) => tsToMs(e.eventTime));
  return {
    runs,
    totalEvents: runs.reduce((n, r) => n + r.events, 0),
    maxEvents: Math.max(0, ...runs.map((r) => r.events)),
    totalBytes: runs.reduce((n, r) => n + r.bytes, 0),
    maxBytes: Math.max(0, ...runs.map((r) => r.bytes)),
    startedMs: Math.min(...times),
    closedMs: Math.max(...times),
    eventTimesMs: times,
    payloadBytes: payloadsOf(all),
    largestPayloadBytes: largestPayload(all),
    ...spansOf(all),
  };
}

/** Count, time queued (scheduled → started) and time running (started → closed), per type. */
export function activityTable(
  spans: ActivitySpan[],
): Record<string, { count: number; queueMs: number; runMs: number; failed: number }> {
  const table: Record<string, { count: number; queueMs: number; runMs: number; failed: number }> =
    {};
  for (const s of spans) {
    const row = (table[s.type] ??= { count: 0, queueMs: 0, runMs: 0, failed: 0 });
    row.count++;
    if (s.outcome !== 'completed') row.failed++;
    const started = s.startedMs ?? s.closedMs;
    row.queueMs += started - s.scheduledMs;
    row.runMs += s.closedMs - started;
  }
  return table;
}
