// Leak sweep: pools and jobs whose owner metadata (`<workflowId>/<firstRunId>`) names a workflow
// that is no longer running, and the input manifests such a run left under `_runs/<owner>/`. Shared by `client sweep` and scripts/smoke-azure.ts. Never touches
// anything without our metadata; a resource whose owner is still running is never an orphan.
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { OWNER_METADATA } from '../activities/batch';
import { codeOf } from '../activities/errors';
import { RUN_BLOB_PREFIX } from '../transcode';

/** Every page of a Batch listing. */
export async function listAll<T>(
  first: () => Promise<T[] & { odatanextLink?: string }>,
  next: (link: string) => Promise<T[] & { odatanextLink?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let page = await first();
  for (;;) {
    items.push(...page);
    if (!page.odatanextLink) return items;
    page = await next(page.odatanextLink);
  }
}

/** A manifest is a blob, `<container>/_runs/<owner>/<file>`; its id is that path. */
export type ResourceKind = 'job' | 'pool' | 'manifest';

/** A pool or job carrying our owner metadata, or a run's manifest named after its owner. */
export interface OwnedResource {
  kind: ResourceKind;
  id: string;
  owner: string;
  /** Batch's state of the resource (active, deleting…). */
  batchState?: string;
}

/** Jobs, then pools, that carry our owner metadata; `unowned` counts those that do not. */
export async function listOwned(
  batch: BatchServiceClient,
): Promise<{ owned: OwnedResource[]; unowned: number }> {
  const ownerOf = (metadata?: Array<{ name: string; value: string }>) =>
    metadata?.find((m) => m.name === OWNER_METADATA)?.value;
  const jobs = await listAll(
    () => batch.job.list(),
    (link) => batch.job.listNext(link),
  );
  const pools = await listAll(
    () => batch.pool.list(),
    (link) => batch.pool.listNext(link),
  );
  const owned: OwnedResource[] = [];
  let unowned = 0;
  for (const [kind, items] of [
    ['job', jobs],
    ['pool', pools],
  ] as const) {
    for (const item of items) {
      const owner = ownerOf(item.metadata);
      if (item.id && owner) owned.push({ kind, id: item.id, owner, batchState: item.state });
      else unowned++;
    }
  }
  return { owned, unowned };
}

/**
 * A run's own lists that only the run reads (and its upload's published progress); its results
 * list and outputs are the user's.
 */
const SWEPT_MANIFEST = /^(inputs|selected|uploaded)[^/]*$/;

/**
 * The input and selection manifests (and upload progress) under `_runs/<owner>/` of every
 * container. Only an owner with a first run id is ours; one that may have been sanitized (`_`,
 * runBlobName) is kept apart (`exact: false`): its workflow id as written may not be the run's.
 */
export async function listRunManifests(
  blobService: BlobServiceClient,
): Promise<Array<OwnedResource & { exact: boolean }>> {
  const found: Array<OwnedResource & { exact: boolean }> = [];
  for await (const container of blobService.listContainers()) {
    const blobs = blobService.getContainerClient(container.name);
    for await (const blob of blobs.listBlobsFlat({ prefix: RUN_BLOB_PREFIX })) {
      const rest = blob.name.slice(RUN_BLOB_PREFIX.length);
      const slash = rest.lastIndexOf('/');
      const owner = rest.slice(0, slash);
      if (slash < 0 || !SWEPT_MANIFEST.test(rest.slice(slash + 1))) continue;
      const { workflowId, firstRunId } = parseOwner(owner);
      if (!firstRunId) continue;
      found.push({
        kind: 'manifest',
        id: `${container.name}/${blob.name}`,
        owner,
        exact: !workflowId.includes('_'),
      });
    }
  }
  return found;
}

/** `<workflowId>/<firstRunId>` (a run id is a UUID); an owner without one is a bare workflow id. */
export function parseOwner(owner: string): { workflowId: string; firstRunId?: string } {
  const match = /^(.+)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
    owner,
  );
  return match ? { workflowId: match[1], firstRunId: match[2] } : { workflowId: owner };
}

/** The owner's state: Temporal's status in lower case, or 'not found'; `running` only when live. */
export interface OwnerState {
  running: boolean;
  state: string;
  /** Set when the workflow id now belongs to a later, unrelated run chain. */
  note?: string;
}

export async function ownerState(client: Client, owner: string): Promise<OwnerState> {
  const { workflowId, firstRunId } = parseOwner(owner);
  const describe = async (runId?: string) => {
    try {
      return await client.workflow.getHandle(workflowId, runId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };
  const latest = await describe();
  if (!latest) return { running: false, state: 'not found' };
  const chain = latest.raw.workflowExecutionInfo?.firstRunId || latest.runId;
  if (!firstRunId || chain === firstRunId) {
    const state = latest.status.name.toLowerCase();
    return { running: latest.status.name === 'RUNNING', state };
  }
  // The id was reused: the latest run is not the owner, and the owner's chain has ended (one
  // workflow id has at most one running execution).
  const first = await describe(firstRunId);
  return {
    running: false,
    state: first ? first.status.name.toLowerCase().replace(/_/g, '-') : 'not found',
    note: `workflow id ${workflowId} now belongs to another run (${latest.runId})`,
  };
}

export interface Orphan extends OwnedResource, OwnerState {
  deleted?: boolean;
  error?: string;
}

/**
 * Owned pools and jobs whose owner is not running (each owner looked up once), jobs first.
 * `ownerPrefix` keeps only owners whose workflow id starts with it.
 */
export async function findOrphans(
  batch: BatchServiceClient,
  client: Client,
  options: { ownerPrefix?: string; blobService?: BlobServiceClient } = {},
): Promise<{ orphans: Orphan[]; checked: number; running: number; unowned: number }> {
  const { owned: resources, unowned } = await listOwned(batch);
  const manifests = options.blobService ? await listRunManifests(options.blobService) : [];
  const owned = [...resources, ...manifests];
  const candidates = owned.filter(
    (r) => !options.ownerPrefix || parseOwner(r.owner).workflowId.startsWith(options.ownerPrefix),
  );
  const states = new Map<string, OwnerState>();
  const orphans: Orphan[] = [];
  let running = 0;
  for (const resource of candidates) {
    let state = states.get(resource.owner);
    if (!state) {
      state = await ownerState(client, resource.owner);
      states.set(resource.owner, state);
    }
    if (state.running) running++;
    // A sanitized owner not found may be a live run under its real id: left alone.
    else if ('exact' in resource && !resource.exact && state.state === 'not found') continue;
    else {
      const { exact: _exact, ...fields } = resource as OwnedResource & { exact?: boolean };
      orphans.push({ ...fields, ...state });
    }
  }
  return { orphans, checked: owned.length + unowned, running, unowned };
}

/** Deletes a job, pool or manifest; already gone or already being deleted counts as deleted. */
export async function deleteResource(
  batch: BatchServiceClient,
  kind: ResourceKind,
  id: string,
  blobService?: BlobServiceClient,
): Promise<void> {
  if (kind === 'manifest') {
    if (!blobService) throw new Error(`no storage client to delete ${id}`);
    const slash = id.indexOf('/');
    const blob = blobService
      .getContainerClient(id.slice(0, slash))
      .getBlobClient(id.slice(slash + 1));
    await blob.deleteIfExists();
    return;
  }
  try {
    if (kind === 'job') await batch.job.deleteMethod(id);
    else await batch.pool.deleteMethod(id);
  } catch (err) {
    const code = codeOf(err);
    const status = (err as { statusCode?: number }).statusCode;
    const Kind = kind === 'job' ? 'Job' : 'Pool';
    if (status === 404 || code === `${Kind}NotFound` || code === `${Kind}BeingDeleted`) return;
    throw err;
  }
}

/** Deletes the orphans, jobs first, then pools, then manifests; records each outcome. */
export async function deleteOrphans(
  batch: BatchServiceClient,
  orphans: Orphan[],
  blobService?: BlobServiceClient,
): Promise<void> {
  for (const kind of ['job', 'pool', 'manifest'] as const) {
    for (const orphan of orphans.filter((o) => o.kind === kind)) {
      try {
        await deleteResource(batch, orphan.kind, orphan.id, blobService);
        orphan.deleted = true;
      } catch (err) {
        orphan.deleted = false;
        orphan.error = err instanceof Error ? err.message : String(err);
      }
    }
  }
}
