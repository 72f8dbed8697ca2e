// Leak sweep: pools and jobs whose owner metadata (`<workflowId>/<firstRunId>`) names a workflow
// that is no longer running. Shared by `client sweep` and scripts/smoke-azure.ts. Never touches
// anything without our metadata; a resource whose owner is still running is never an orphan.
import type { BatchServiceClient } from '@azure/batch';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { OWNER_METADATA } from '../activities/batch';
import { codeOf } from '../activities/errors';

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

export type ResourceKind = 'job' | 'pool';

/** A pool or job carrying our owner metadata. */
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
  options: { ownerPrefix?: string } = {},
): Promise<{ orphans: Orphan[]; checked: number; running: number; unowned: number }> {
  const { owned, unowned } = await listOwned(batch);
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
    else orphans.push({ ...resource, ...state });
  }
  return { orphans, checked: owned.length + unowned, running, unowned };
}

/** Deletes a job or pool; already gone or already being deleted counts as deleted. */
export async function deleteResource(
  batch: BatchServiceClient,
  kind: ResourceKind,
  id: string,
): Promise<void> {
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

/** Deletes the orphans, jobs first, then pools; records each outcome on the orphan. */
export async function deleteOrphans(batch: BatchServiceClient, orphans: Orphan[]): Promise<void> {
  for (const kind of ['job', 'pool'] as const) {
    for (const orphan of orphans.filter((o) => o.kind === kind)) {
      try {
        await deleteResource(batch, orphan.kind, orphan.id);
        orphan.deleted = true;
      } catch (err) {
        orphan.deleted = false;
        orphan.error = err instanceof Error ? err.message : String(err);
      }
    }
  }
}
