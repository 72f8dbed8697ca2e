// What an activity of a finished run answered, read from the run's history and decoded with the
// client's own data converter (codecs included), as src/cli/pending.ts decodes heartbeats. A run
// that continued as new is read from its first execution on: the activity may be in any of them.
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';

type HistoryEvents = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>;

/** The events of every execution of `workflowId`'s chain, oldest execution first. */
async function chainEvents(client: Client, workflowId: string): Promise<HistoryEvents> {
  const executions: HistoryEvents[] = [];
  let runId: string | undefined;
  for (;;) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    executions.unshift(events);
    const previous =
      events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!previous) return executions.flat();
    runId = previous;
  }
}

type HistoryEvent = HistoryEvents[number];

/**
 * The activity events among `events` (one execution or a chain, oldest first), each with the
 * type of its activity: event ids restart in each execution, so a completion is matched to its
 * schedule within its own execution.
 */
export function* activityEventsOf(events: Iterable<HistoryEvent>): Generator<{
  kind: 'scheduled' | 'completed' | 'failed' | 'cancelled';
  type: string | undefined;
  event: HistoryEvent;
}> {
  let types = new Map<string, string>();
  for (const event of events) {
    if (event.workflowExecutionStartedEventAttributes) types = new Map();
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) {
      types.set(String(event.eventId), scheduled);
      yield { kind: 'scheduled', type: scheduled, event };
    }
    const ended = [
      ['completed', event.activityTaskCompletedEventAttributes],
      ['failed', event.activityTaskFailedEventAttributes],
      ['cancelled', event.activityTaskCanceledEventAttributes],
    ] as const;
    for (const [kind, attributes] of ended) {
      if (attributes) yield { kind, type: types.get(String(attributes.scheduledEventId)), event };
    }
  }
}

/** The completion events of the activities of one type, in every execution of the chain. */
async function completions(client: Client, workflowId: string, activityType: string) {
  const found: HistoryEvents = [];
  for (const { kind, type, event } of activityEventsOf(await chainEvents(client, workflowId))) {
    if (kind === 'completed' && type === activityType) found.push(event);
  }
  return found;
}

/** When each completed activity of a type completed, from the run's history. */
export async function activityCompletionTimes(
  client: Client,
  workflowId: string,
  activityType: string,
): Promise<Date[]> {
  return (await completions(client, workflowId, activityType)).map(
    (e) =>
      new Date(
        Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6),
      ),
  );
}

export async function activityResults<T>(
  client: Client,
  workflowId: string,
  activityType: string,
): Promise<T[]> {
  const results: T[] = [];
  for (const e of await completions(client, workflowId, activityType)) {
    const [result] = await decodeArrayFromPayloads(
      client.options.loadedDataConverter,
      e.activityTaskCompletedEventAttributes?.result?.payloads ?? [],
    );
    results.push(result as T);
  }
  return results;
}

/**
 * The activities of a run in the order their events were recorded, each as
 * `scheduled <type>` or `completed <type>` (every execution of the chain, oldest first).
 */
export async function activityEvents(client: Client, workflowId: string): Promise<string[]> {
  const order: string[] = [];
  for (const { kind, type } of activityEventsOf(await chainEvents(client, workflowId))) {
    if (kind === 'scheduled' || kind === 'completed') order.push(`${kind} ${type}`);
  }
  return order;
}
