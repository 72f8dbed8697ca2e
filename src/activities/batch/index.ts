// Every Azure Batch call of the project. Each activity is idempotent under retry:
// deterministic ids, metadata naming the owning workflow, and a 409 on our own resource
// counted as success. Made by a factory over the clients, so Azure and the emulator are one code.
import type { BatchClients } from './clients';
import { createJobActivities } from './job';
import { createPoolActivities } from './pool';
import { createPoolSizeActivities } from './pool-size';
import { createResultActivities } from './results';
import { createRunResultActivities } from './run-results';
import { createStampActivities } from './stamp';
import { createTaskActivities } from './tasks';
import { createWatchActivities } from './watch';

export type { BatchClients } from './clients';
export { OWNER_METADATA } from './owner';
export type { PoolSpec, PoolStatus } from './pool';
export type { RunResults } from './run-results';
export type { NodeSeen, NodeTargets, ResizeOutcome } from './pool-size';

export function createBatchActivities(clients: BatchClients) {
  return {
    ...createPoolActivities(clients),
    ...createPoolSizeActivities(clients),
    ...createJobActivities(clients),
    ...createTaskActivities(clients),
    ...createWatchActivities(clients),
    ...createResultActivities(clients),
    ...createRunResultActivities(clients),
    ...createStampActivities(clients),
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
