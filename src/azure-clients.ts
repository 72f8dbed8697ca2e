// Azure clients from the configuration: the only place that builds them, for the worker and
// for tests. @azure/batch's hidden retries are off: Temporal owns retries, durably and visibly.
// With account keys: SharedKey and key-signed SAS, as in the tutorial. Without (Microsoft Entra
// ID): bearer tokens from DefaultAzureCredential and user delegation SAS.
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AppConfig } from './config';
import type { ActivityClients } from './activities';
import { accountKeySas, userDelegationSas } from './activities/storage';
import { entraIdCredentials } from './entra-id';

/**
 * Where the worker's identity comes from when no key is configured: DefaultAzureCredential
 * (environment, workload identity, managed identity, Azure CLI…). The one seam through which a
 * test gives another TokenCredential.
 */
export type TokenCredentialFactory = () => TokenCredential;
export const defaultTokenCredential: TokenCredentialFactory = () => new DefaultAzureCredential();

export function createAzureClients(
  config: AppConfig,
  tokenCredential: TokenCredentialFactory = defaultTokenCredential,
): ActivityClients {
  const entra = config.auth === 'entra-id' ? entraIdCredentials(tokenCredential()) : undefined;
  const batch = new BatchServiceClient(
    entra?.batch ??
      new BatchSharedKeyCredentials(config.batch.accountName, config.batch.accountKey!),
    config.batch.url,
    { noRetryPolicy: true },
  );
  // The client is built for 2022-10-01.16.0 and reads this property for every request: the
  // bodies it sends are valid in the newer versions too (docs/batch-api-versions.md).
  batch.apiVersion = config.batch.apiVersion;
  // Temporal retries the activity; a short SDK retry only smooths a single dropped connection.
  const retryOptions = { maxTries: 2 };
  if (entra) {
    const blobService = new BlobServiceClient(config.storage.blobUrl, entra.storage, {
      retryOptions,
    });
    const storage = { blobService, sas: userDelegationSas(blobService) };
    return { batch, storage, entra: entra.access };
  }
  const credential = new StorageSharedKeyCredential(
    config.storage.accountName,
    config.storage.accountKey!,
  );
  const blobService = new BlobServiceClient(config.storage.blobUrl, credential, { retryOptions });
  return { batch, storage: { blobService, sas: accountKeySas(credential) } };
}
