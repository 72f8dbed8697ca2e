import { SUPPORTED_API_VERSIONS } from '../config';

export type ApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];

export function isSupportedApiVersion(v: string): v is ApiVersion {
  return (SUPPORTED_API_VERSIONS as readonly string[]).includes(v);
}

/**
 * api-versions before 2020-09-01.12.0 call a node's slot count `maxTasksPerNode` and return task
 * counts flat (no taskSlotCounts). Only 2018-12-01.8.0 (azure-batch 6.0.0) is that old here.
 */
function isPreSlots(version: string): boolean {
  return version < '2020-09-01';
}

function renameKeyDeep(value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeyDeep(v, from, to));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k === from ? to : k] = renameKeyDeep(v, from, to);
  return out;
}

/** Brings a request body of an older api-version to the current wire shape. */
export function adaptRequestBody(version: string, body: unknown): unknown {
  if (!isPreSlots(version)) return body;
  return renameKeyDeep(body, 'maxTasksPerNode', 'taskSlotsPerNode');
}

/** Brings a response body in the current wire shape to what an older api-version expects. */
export function adaptResponseBody(version: string, body: Record<string, unknown>): unknown {
  if (!isPreSlots(version)) return body;
  if ('taskCounts' in body && 'taskSlotCounts' in body) {
    return {
      'odata.metadata': body['odata.metadata'],
      ...(body.taskCounts as object),
      validationStatus: 'validated',
    };
  }
  return renameKeyDeep(body, 'taskSlotsPerNode', 'maxTasksPerNode');
}
