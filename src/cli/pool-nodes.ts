// The node list of a run's pool, read by the client itself for the heatmaps (`watch` on a TTY,
// `watch --web`): the same Azure settings as the worker (the local stack's, or the AZURE_*
// variables, keys or Microsoft Entra ID), one list call per look.
import type { BatchServiceClient } from '@azure/batch';
import { listPoolNodes, type PoolNode } from '../activities/batch/nodes';
import type { AppConfig } from '../config';

export type PoolNodeLister = (poolId: string) => Promise<PoolNode[] | undefined>;

/** Builds the Batch client on first use, so a view that never needs nodes never signs in. */
export function poolNodeLister(config: AppConfig): PoolNodeLister {
  let batch: Promise<BatchServiceClient> | undefined;
  // The Azure SDKs take a second of CPU to load: loaded here, not when the client starts.
  return async (poolId) => {
    batch ??= import('../azure-clients.js')
      .then((m) => m.createAzureClients(config).batch)
      .catch((err: unknown) => {
        batch = undefined; // a later look tries again
        throw err;
      });
    return listPoolNodes(await batch, poolId);
  };
}
