// What an activity of a finished run answered, read from the run's history (decoded as the
// client decodes: the project's payload codec, then the default converter).
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { dataConverter } from '../../src/payload-codec';

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
    let payloads = (completed.result?.payloads ?? []) as Payload[];
    for (const codec of [...(dataConverter.payloadCodecs ?? [])].reverse()) {
      payloads = await codec.decode(payloads);
    }
    results.push(defaultPayloadConverter.fromPayload<T>(payloads[0]));
  }
  return results;
}
