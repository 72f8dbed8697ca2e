// What an activity of a finished run answered, read from the run's history and decoded with the
// client's own data converter (codecs included), as src/cli/pending.ts decodes heartbeats.
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';

export async function activityResults<T>(
  client: Client,
  workflowId: string,
  activityType: string,
): Promise<T[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => String(e.eventId)),
  );
  const results: T[] = [];
  for (const e of events) {
    const completed = e.activityTaskCompletedEventAttributes;
    if (!completed || !scheduled.has(String(completed.scheduledEventId))) continue;
    const [result] = await decodeArrayFromPayloads(
      client.options.loadedDataConverter,
      completed.result?.payloads ?? [],
    );
    results.push(result as T);
  }
  return results;
}
