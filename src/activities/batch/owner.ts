// Which workflow owns a pool or job: metadata set when we create it, checked before we call an
// existing one ours (a retry after a lost response) or delete it.
import { ApplicationFailure } from '@temporalio/common';
import type { BatchServiceModels } from '@azure/batch';
import { codeOf, toActivityFailure } from '../errors';
import { lower } from './clients';

/** Metadata on every pool and job we create: who owns it. */
export const OWNER_METADATA = 'durable-batch-owner-workflow';

export function ownerOf(
  metadata: BatchServiceModels.MetadataItem[] | undefined,
): string | undefined {
  return metadata?.find((m) => m.name === OWNER_METADATA)?.value;
}

function ownedByAnother(kind: string, id: string, owner: string | undefined, hint: string) {
  return ApplicationFailure.create({
    type: 'ResourceOwnedByAnother',
    nonRetryable: true,
    message:
      `${kind} ${id} already exists and ` +
      (owner ? `belongs to workflow ${owner}` : 'was not created by this application') +
      `: ${hint}`,
  });
}

/** A pool or job as read back: its state and who owns it. */
type Owned = { state?: string; metadata?: BatchServiceModels.MetadataItem[] };

/**
 * Creates a pool or job with our metadata. When it exists already it is read back: ours (a
 * retry after a lost response) counts as created and is returned, anybody else's fails with
 * `hint`. Undefined when this call created it.
 */
export async function createOwned(
  kind: 'Pool' | 'Job',
  id: string,
  owner: string,
  hint: string,
  ops: {
    add: (metadata: BatchServiceModels.MetadataItem[]) => Promise<unknown>;
    get: () => Promise<Owned>;
  },
): Promise<Owned | undefined> {
  try {
    await ops.add([{ name: OWNER_METADATA, value: owner }]);
    return undefined;
  } catch (err) {
    if (codeOf(err) !== `${kind}Exists`)
      toActivityFailure(err, `create ${kind.toLowerCase()} ${id}`);
  }
  const existing = await ops
    .get()
    .catch((err) => toActivityFailure(err, `read ${kind.toLowerCase()} ${id}`));
  if (ownerOf(existing.metadata) !== owner) {
    throw ownedByAnother(kind, id, ownerOf(existing.metadata), hint);
  }
  return existing;
}

/**
 * Deletes a pool or job only when our metadata says we own it. Already gone: false (nothing
 * sent); already being deleted: true (a retry after a lost answer).
 */
export async function deleteOwned(
  kind: 'Pool' | 'Job',
  id: string,
  owner: string,
  ops: {
    get: () => Promise<Owned>;
    remove: () => Promise<unknown>;
  },
): Promise<boolean> {
  try {
    const resource = await ops.get();
    if (ownerOf(resource.metadata) !== owner) {
      throw ownedByAnother(kind, id, ownerOf(resource.metadata), 'not deleting it');
    }
    if (lower(resource.state) === 'deleting') return true;
    await ops.remove();
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === `${kind}NotFound`) return false;
    if (code === `${kind}BeingDeleted`) return true;
    toActivityFailure(err, `delete ${kind.toLowerCase()} ${id}`);
  }
}
