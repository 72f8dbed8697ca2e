// What every storage activity is made over (Azure Storage or Azurite alike).
import type { BlobSASSignatureValues, BlobServiceClient } from '@azure/storage-blob';
import type { UploadTuning } from '../../transcode';
import type { EntraAdvice } from '../errors';

/** How the SAS URLs Batch tasks use are signed. */
export interface SasSigner {
  readonly kind: 'account-key' | 'user-delegation';
  /** The SAS query string (without `?`); `startsOn` and `expiresOn` are required. */
  sign(values: BlobSASSignatureValues & { startsOn: Date; expiresOn: Date }): Promise<string>;
}

export interface StorageClients {
  blobService: BlobServiceClient;
  /** Signs the tasks' SAS URLs: with the account key, or a user delegation key (Entra ID). */
  sas: SasSigner;
  /** With Microsoft Entra ID: what to fix when the service refuses the worker's identity. */
  entra?: EntraAdvice;
  /** Files uploaded or downloaded at once. */
  concurrency?: number;
  /** Block size and the like for big uploads, over UPLOAD_DEFAULTS (tests, the bench). */
  upload?: Partial<UploadTuning>;
}
