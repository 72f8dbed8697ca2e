// Azure clients from the configuration: the only place that builds them, for the worker and
// for tests. @azure/batch's hidden retries are off: Temporal owns retries, durably and visibly.
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AppConfig } from './config';
import type { ActivityClients } from './activities';

export function createAzureClients(config: AppConfig): ActivityClients {
  const batch = new BatchServiceClient(
    new BatchSharedKeyCredentials(config.batch.accountName, config.batch.accountKey),
    config.batch.url,
    { noRetryPolicy: true },
  );
  const credential = new StorageSharedKeyCredential(
    config.storage.accountName,
    config.storage.accountKey,
  );
  const blobService = new BlobServiceClient(config.storage.blobUrl, credential, {
    // Temporal retries the activity; a short SDK retry only smooths a single dropped connection.
    retryOptions: { maxTries: 2 },
  });
  return { batch, storage: { blobService, credential } };
}
