// Every Azure Batch call of the project. Each activity is idempotent under retry:
// deterministic ids, metadata naming the owning workflow, and a 409 on our own resource
// counted as success. Made by a factory over the clients, so Azure and the emulator are one code.
import type { BatchClients } from './clients';
import { createJobActivities } from './job';
import { createPoolActivities } from './pool';
import { createResultActivities } from './results';
import { createTaskActivities } from './tasks';

export type { BatchClients } from './clients';
export { OWNER_METADATA } from './owner';
export type { PoolSpec, PoolStatus } from './pool';

export function createBatchActivities(clients: BatchClients) {
  return {
    ...createPoolActivities(clients),
    ...createJobActivities(clients),
    ...createTaskActivities(clients),
    ...createResultActivities(clients),
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
