// What every Batch activity is made over: the Batch client, and the storage credentials that
// sign the SAS URLs the tasks read and write through.
import type { BatchServiceClient } from '@azure/batch';
import type { EntraAdvice } from '../errors';
import type { StorageClients } from '../storage';

export interface BatchClients {
  batch: BatchServiceClient;
  storage: Pick<StorageClients, 'blobService' | 'sas'>;
  /** With Microsoft Entra ID: what to fix when the service refuses the worker's identity. */
  entra?: EntraAdvice;
}

/** Batch's states and statuses, compared in lower case (the SDKs and the REST API differ). */
export const lower = (value: string | undefined) => (value ?? '').toLowerCase();
