// What every storage activity is made over (Azure Storage or Azurite alike).
import type { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';

export interface StorageClients {
  blobService: BlobServiceClient;
  credential: StorageSharedKeyCredential;
  /** Files uploaded or downloaded at once. */
  concurrency?: number;
}
