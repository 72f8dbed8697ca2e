// All activities, made by one factory over the clients (Azure or the local stack alike).
import { createBatchActivities, type BatchClients } from './batch';
import { createStorageActivities, type StorageClients } from './storage';
import type { EntraAdvice } from './errors';

export interface ActivityClients {
  batch: BatchClients['batch'];
  storage: Omit<StorageClients, 'entra'>;
  /** With Microsoft Entra ID: what to fix when a service refuses the worker's identity. */
  entra?: EntraAdvice;
}

export function createActivities(clients: ActivityClients) {
  const { entra } = clients;
  const storage = createStorageActivities({ ...clients.storage, entra });
  const batch = createBatchActivities({ batch: clients.batch, storage: clients.storage, entra });
  return {
    ...storage,
    ...batch,
    /**
     * One cheap authenticated call to each service: a wrong key, or an identity refused a token
     * or a role, fails here, non-retryably, saying what to fix.
     */
    async checkAccess(): Promise<void> {
      await Promise.all([storage.checkStorageAccess(), batch.checkBatchAccess()]);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
