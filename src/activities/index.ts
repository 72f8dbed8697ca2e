// All activities, made by one factory over the clients (Azure or the local stack alike).
import { createBatchActivities, type BatchClients } from './batch';
import { createStorageActivities, type StorageClients } from './storage';

export interface ActivityClients {
  batch: BatchClients['batch'];
  storage: StorageClients;
}

export function createActivities(clients: ActivityClients) {
  const storage = createStorageActivities(clients.storage);
  const batch = createBatchActivities({ batch: clients.batch, storage: clients.storage });
  return {
    ...storage,
    ...batch,
    /** One cheap authenticated call to each service: a wrong key fails here, non-retryably. */
    async checkAccess(): Promise<void> {
      await Promise.all([storage.checkStorageAccess(), batch.checkBatchAccess()]);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
