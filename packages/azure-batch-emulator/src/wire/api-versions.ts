import { SUPPORTED_API_VERSIONS } from '../config';
import { Errors } from '../errors';

// The api-versions the emulator serves, and what differs between them, in one small table.
//
// Versions: every GA Batch data-plane version from 2018-12-01.8.0 on, as tagged in
// azure-rest-api-specs specification/batch/data-plane/Batch/readme.md (stable/<version>/
// BatchService.json; there never was a 13.0). The list itself is SUPPORTED_API_VERSIONS in
// config.ts, so that the package's entry point can export it without loading the wire code.
//
// Properties: when a request names a property its api-version does not have, Batch answers
// 400 `UnsupportedProperty` ("One of the properties specified in the request body is not
// supported", Batch status and error codes); the emulator does the same, and leaves such
// properties out of its answers to that version. Sources for each row: the Batch REST API
// versioning page, the Python azure-batch CHANGELOG (6.0.0 ... 15.1.0, which names the REST
// version of each release), the ARM pool change log (learn.microsoft.com/azure/templates/
// microsoft.batch/change-log/batchaccounts/pools), and the models of the clients at hand
// (azure-batch 6.0.0 = 2018-12-01.8.0, @azure/batch 10.2.0 = 2022-10-01.16.0, azure-batch
// 15.1.0 = 2025-06-01).

export type ApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];

export function isSupportedApiVersion(v: string): v is ApiVersion {
  return (SUPPORTED_API_VERSIONS as readonly string[]).includes(v);
}

/** Position of a version in the (chronological) list; -1 for one the emulator does not serve. */
function rank(version: string): number {
  return (SUPPORTED_API_VERSIONS as readonly string[]).indexOf(version);
}

interface VersionedProperty {
  /**
   * The property, with as much of its parent path as makes it unambiguous
   * (`networkConfiguration.enableAcceleratedNetworking`); it matches at any depth of any body.
   */
  path: string;
  /** First api-version that has it (absent: every served version). */
  since?: ApiVersion;
  /** First api-version that no longer has it (absent: still there). */
  until?: ApiVersion;
}

/**
 * Properties that only some api-versions know. Properties not listed are known to every served
 * version (the emulator does not list what it neither reads nor returns).
 */
export const VERSIONED_PROPERTIES: readonly VersionedProperty[] = [
  // 2020-09-01.12.0 renamed the pool's slot count and added task slots.
  { path: 'maxTasksPerNode', until: '2020-09-01.12.0' },
  { path: 'taskSlotsPerNode', since: '2020-09-01.12.0' },
  { path: 'requiredSlots', since: '2020-09-01.12.0' },
  { path: 'mountConfiguration', since: '2019-08-01.10.0' },
  // 2021-06-01.14.0: managed identities, job task limit, VM extensions, OS disk, placement.
  { path: 'maxParallelTasks', since: '2021-06-01.14.0' },
  { path: 'identityReference', since: '2021-06-01.14.0' },
  { path: 'virtualMachineConfiguration.extensions', since: '2021-06-01.14.0' },
  { path: 'virtualMachineConfiguration.osDisk', since: '2021-06-01.14.0' },
  { path: 'virtualMachineConfiguration.nodePlacementConfiguration', since: '2021-06-01.14.0' },
  // 2022-01-01.15.0: task preemption, upload headers (the Spot rename changed no wire name:
  // targetLowPriorityNodes stays in every version).
  { path: 'allowTaskPreemption', since: '2022-01-01.15.0' },
  { path: 'uploadHeaders', since: '2022-01-01.15.0' },
  // 2022-10-01.16.0 added the node communication mode; 2025-06-01 dropped it.
  { path: 'targetNodeCommunicationMode', since: '2022-10-01.16.0', until: '2025-06-01' },
  { path: 'currentNodeCommunicationMode', since: '2022-10-01.16.0', until: '2025-06-01' },
  { path: 'networkConfiguration.enableAcceleratedNetworking', since: '2023-05-01.17.0' },
  // 2023-11-01.18.0: resource tags (dropped again in 2025-06-01), trusted launch.
  { path: 'resourceTags', since: '2023-11-01.18.0', until: '2025-06-01' },
  { path: 'virtualMachineConfiguration.securityProfile', since: '2023-11-01.18.0' },
  { path: 'virtualMachineConfiguration.serviceArtifactReference', since: '2023-11-01.18.0' },
  { path: 'upgradePolicy', since: '2024-02-01.19.0' },
  // 2024-07-01.20.0 retired Cloud Services pools and application licenses.
  { path: 'cloudServiceConfiguration', until: '2024-07-01.20.0' },
  { path: 'applicationLicenses', until: '2024-07-01.20.0' },
  { path: 'containerHostBatchBindMounts', since: '2024-07-01.20.0' },
  // 2025-06-01 removed certificates (retired February 2024).
  { path: 'certificateReferences', until: '2025-06-01' },
];

function knownIn(entry: VersionedProperty, version: string): boolean {
  const r = rank(version);
  if (entry.since && r < rank(entry.since)) return false;
  if (entry.until && r >= rank(entry.until)) return false;
  return true;
}

/** `a.b[2].c` or `a/b/c` → ['a', 'b', 'c']. */
function segments(path: string): string[] {
  return path
    .replace(/\[\d*\]/g, '')
    .split(/[./]/)
    .filter((s) => s !== '');
}

/** The table by property name (the path's last segment), each row with its parent segments. */
const BY_NAME = new Map<string, { parents: string[]; entry: VersionedProperty }[]>();
for (const entry of VERSIONED_PROPERTIES) {
  const tail = segments(entry.path);
  const name = tail.pop() as string;
  BY_NAME.set(name, [...(BY_NAME.get(name) ?? []), { parents: tail, entry }]);
}

/** Whether `name` under `parents` (outermost first) is a property the version has. */
function known(version: string, parents: readonly string[], name: string): boolean {
  const rows = BY_NAME.get(name);
  if (!rows) return true;
  return rows.every(
    ({ parents: need, entry }) =>
      need.length > parents.length ||
      !need.every((s, i) => s === parents[parents.length - need.length + i]) ||
      knownIn(entry, version),
  );
}

/**
 * Whether the api-version has the property at this path of a request or response body
 * (`virtualMachineConfiguration.osDisk`, `value[3].requiredSlots`, `resourceTags`). Properties
 * the table does not list are known to every served version.
 */
export function propertyKnownIn(version: string, path: string): boolean {
  const parts = segments(path);
  const name = parts.pop();
  return name === undefined || known(version, parts, name);
}

/** Paths of the properties in a body that its api-version does not have, in document order. */
export function unknownProperties(version: string, body: unknown): string[] {
  const found: string[] = [];
  const parents: string[] = [];
  const walk = (value: unknown, shown: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${shown}[${i}]`));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const name = shown === '' ? key : `${shown}.${key}`;
      if (!known(version, parents, key)) {
        found.push(name);
        continue;
      }
      parents.push(key);
      walk(child, name);
      parents.pop();
    }
  };
  walk(body, '');
  return found;
}

/**
 * Leaves out of an answer what the api-version does not have (a pool stored from a request of
 * another version may carry it). Objects are copied only where something is left out.
 */
function withoutUnknown(version: string, value: unknown, parents: string[]): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const w = withoutUnknown(version, v, parents);
      if (w !== v) changed = true;
      return w;
    });
    return changed ? out : value;
  }
  if (value === null || typeof value !== 'object') return value;
  let out: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const key in source) {
    const child = source[key];
    if (!known(version, parents, key)) {
      out ??= { ...source };
      delete out[key];
      continue;
    }
    parents.push(key);
    const shaped = withoutUnknown(version, child, parents);
    parents.pop();
    if (shaped !== child) {
      out ??= { ...source };
      out[key] = shaped;
    }
  }
  return out ?? value;
}

/**
 * api-versions before 2020-09-01.12.0 call a node's slot count `maxTasksPerNode` and return task
 * counts flat (no taskSlotCounts).
 */
function isPreSlots(version: string): boolean {
  return rank(version) < rank('2020-09-01.12.0');
}

function renameKeyDeep(value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeyDeep(v, from, to));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k === from ? to : k] = renameKeyDeep(v, from, to);
  return out;
}

/**
 * Brings a request body of any served api-version to the current wire shape, after refusing
 * (400 UnsupportedProperty) a property that version does not have.
 */
export function adaptRequestBody(version: string, body: unknown): unknown {
  const [unknown] = unknownProperties(version, body);
  if (unknown !== undefined) throw Errors.unsupportedProperty(unknown, version);
  if (!isPreSlots(version)) return body;
  return renameKeyDeep(body, 'maxTasksPerNode', 'taskSlotsPerNode');
}

/** Brings a response body in the current wire shape to what the api-version expects. */
export function adaptResponseBody(version: string, body: Record<string, unknown>): unknown {
  if (isPreSlots(version) && 'taskCounts' in body && 'taskSlotCounts' in body) {
    return {
      'odata.metadata': body['odata.metadata'],
      ...(body.taskCounts as object),
      validationStatus: 'validated',
    };
  }
  const shaped = isPreSlots(version)
    ? renameKeyDeep(body, 'taskSlotsPerNode', 'maxTasksPerNode')
    : body;
  return withoutUnknown(version, shaped, []);
}
