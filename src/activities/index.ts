// All activities, made by one factory over the clients (Azure or the local stack alike).
import { createBatchActivities, type BatchClients } from './batch';
import { createStorageActivities, type StorageClients } from './storage';

export interface ActivityClients {
  batch: BatchClients['batch'];
  storage: StorageClients;
}

export function createActivities(clients: ActivityClients) {
  return {
    ...createStorageActivities(clients.storage),
    ...createBatchActivities({ batch: clients.batch, storage: clients.storage }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
