// Access to the account: proving our key, and the SAS URLs that let Batch tasks read inputs and
// write outputs (made here, used in the Batch request, never returned to the workflow).
import { ContainerSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { toActivityFailure } from '../errors';
import type { StorageClients } from './clients';

export function createAccessActivities({ blobService }: StorageClients) {
  return {
    /** An authenticated account-level call: proves the storage key before anything is created. */
    async checkStorageAccess(): Promise<void> {
      try {
        await blobService.getProperties();
      } catch (err) {
        toActivityFailure(err, `storage account ${blobService.accountName}`);
      }
    },
  };
}

/** Container SAS URLs for Batch: made here, used in the Batch request, never returned. */
export function containerSasUrl(
  clients: Pick<StorageClients, 'blobService' | 'credential'>,
  container: string,
  permissions: 'read' | 'create-write',
  expiresOn: Date,
): string {
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(permissions === 'read' ? 'r' : 'cw'),
      startsOn: new Date(Date.now() - 5 * 60_000),
      expiresOn,
    },
    clients.credential,
  ).toString();
  return `${clients.blobService.getContainerClient(container).url}?${sas}`;
}

export function blobUrlWithSas(containerUrlWithSas: string, blobName: string): string {
  const [base, query] = containerUrlWithSas.split('?');
  const encoded = blobName.split('/').map(encodeURIComponent).join('/');
  return `${base}/${encoded}?${query}`;
}
