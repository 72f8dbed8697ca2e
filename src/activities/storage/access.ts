// Access to the account: proving the credentials, and the SAS URLs that let Batch tasks read
// inputs and write outputs (made here, used in the Batch request, never returned to the
// workflow), signed with the account key or, with Microsoft Entra ID, a user delegation key.
import {
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
  type StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../errors';
import type { SasSigner, StorageClients } from './clients';

export type { SasSigner } from './clients';

/** Service SAS signed with the account key (the tutorial's way). */
export function accountKeySas(credential: StorageSharedKeyCredential): SasSigner {
  return {
    kind: 'account-key',
    sign: (values) =>
      Promise.resolve(generateBlobSASQueryParameters(values, credential).toString()),
  };
}

/** Azure gives user delegation keys for at most seven days from now. */
const USER_DELEGATION_KEY_MAX_MS = 7 * 24 * 3600_000;

/**
 * User delegation SAS (Microsoft Entra ID): signed with a key the service gives the signed-in
 * identity (Get User Delegation Key), requested when no key in hand covers the SAS's validity and
 * kept until one must outlive it. The key never leaves the worker's memory.
 */
export function userDelegationSas(
  blobService: BlobServiceClient,
  now: () => number = Date.now,
): SasSigner {
  let held: UserDelegationKey | undefined;
  let pending: Promise<UserDelegationKey> | undefined;
  const covers = (key: UserDelegationKey | undefined, startsOn: Date, expiresOn: Date) =>
    key !== undefined && key.signedStartsOn <= startsOn && key.signedExpiresOn >= expiresOn;

  const keyFor = async (startsOn: Date, expiresOn: Date): Promise<UserDelegationKey> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (covers(held, startsOn, expiresOn)) return held!;
      // An hour past what is asked, so the next activity's SAS is likely covered too.
      const until = new Date(
        Math.min(expiresOn.getTime() + 3600_000, now() + USER_DELEGATION_KEY_MAX_MS),
      );
      pending ??= blobService
        .getUserDelegationKey(startsOn, until)
        .then((key) => (held = key))
        .finally(() => (pending = undefined));
      await pending;
    }
    if (covers(held, startsOn, expiresOn)) return held!;
    throw new Error('the user delegation key does not cover the SAS validity');
  };

  return {
    kind: 'user-delegation',
    async sign(values) {
      if (values.expiresOn.getTime() - now() > USER_DELEGATION_KEY_MAX_MS) {
        throw ApplicationFailure.create({
          type: 'InvalidRequest',
          nonRetryable: true,
          message:
            'A user delegation SAS (Microsoft Entra ID) can be valid for at most 7 days: lower ' +
            'the task timeout, or use account keys',
        });
      }
      let key: UserDelegationKey;
      try {
        key = await keyFor(values.startsOn, values.expiresOn);
      } catch (err) {
        toActivityFailure(err, `get a user delegation key from ${blobService.accountName}`);
      }
      return generateBlobSASQueryParameters(values, key, blobService.accountName).toString();
    },
  };
}

export function createAccessActivities({ blobService, entra }: StorageClients) {
  return {
    /**
     * Authenticated calls that prove the credentials before anything is created: with a key, an
     * account-level read; with Entra ID, a container listing (a data read) and a user delegation
     * key (what the tasks' SAS URLs need), both within Storage Blob Data Contributor.
     */
    async checkStorageAccess(): Promise<void> {
      try {
        if (entra) {
          await blobService.listContainers().byPage({ maxPageSize: 1 }).next();
          const now = Date.now();
          await blobService.getUserDelegationKey(new Date(now - 60_000), new Date(now + 600_000));
        } else {
          await blobService.getProperties();
        }
      } catch (err) {
        toActivityFailure(
          err,
          `storage account ${blobService.accountName}`,
          entra && ((status) => entra.advice('storage', status)),
        );
      }
    },
  };
}

/** Container SAS URLs for Batch: made here, used in the Batch request, never returned. */
export async function containerSasUrl(
  clients: Pick<StorageClients, 'blobService' | 'sas'>,
  container: string,
  permissions: 'read' | 'create-write',
  expiresOn: Date,
): Promise<string> {
  const sas = await clients.sas.sign({
    containerName: container,
    permissions: ContainerSASPermissions.parse(permissions === 'read' ? 'r' : 'cw'),
    startsOn: new Date(Date.now() - 5 * 60_000),
    expiresOn,
  });
  return `${clients.blobService.getContainerClient(container).url}?${sas}`;
}

export function blobUrlWithSas(containerUrlWithSas: string, blobName: string): string {
  const [base, query] = containerUrlWithSas.split('?');
  const encoded = blobName.split('/').map(encodeURIComponent).join('/');
  return `${base}/${encoded}?${query}`;
}
