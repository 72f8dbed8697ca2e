// The pool: proving the Batch key, creating the pool once, reading its allocation and nodes,
// deleting it when this workflow owns it.
import { ApplicationFailure } from '@temporalio/common';
import type { BatchServiceModels } from '@azure/batch';
import { codeOf, statusOf, toActivityFailure } from '../errors';
import type { TranscodePlan } from '../../transcode';
import { lower, type BatchClients } from './clients';
import { createOwned, deleteOwned } from './owner';

/** The pool as the plan describes it, less what only the workflow needs. */
export type PoolSpec = Omit<TranscodePlan['pool'], 'reuse' | 'allocationTimeoutMs'>;

export interface PoolStatus {
  exists: boolean;
  state?: string;
  allocationState?: string;
  resizeErrors: Array<{ code: string; message: string }>;
  currentNodes: number;
  targetNodes: number;
  nodeStates: Record<string, number>;
}

export function createPoolActivities({ batch, entra }: BatchClients) {
  return {
    /** An authenticated read: proves the Batch key or identity before anything is created. */
    async checkBatchAccess(): Promise<void> {
      try {
        await batch.pool.list({ poolListOptions: { maxResults: 1, select: 'id' } });
      } catch (err) {
        toActivityFailure(
          err,
          'Batch account',
          entra && ((status) => entra.advice('batch', status)),
        );
      }
    },

    /** Creates the pool unless it exists; our own pool (by metadata) counts as created. */
    async createPoolIfAbsent(args: {
      pool: PoolSpec;
      ownerWorkflowId: string;
    }): Promise<{ created: boolean }> {
      const { pool } = args;
      const ours = await createOwned(
        'Pool',
        pool.id,
        args.ownerWorkflowId,
        'choose another pool.id, or pass pool.existingPoolId to run on it (it is then never deleted)',
        {
          add: (metadata) =>
            batch.pool.add({
              id: pool.id,
              vmSize: pool.vmSize,
              virtualMachineConfiguration: {
                imageReference: {
                  publisher: pool.image.publisher,
                  offer: pool.image.offer,
                  sku: pool.image.sku,
                  version: pool.image.version,
                },
                nodeAgentSKUId: pool.image.nodeAgentSkuId,
              },
              targetDedicatedNodes: pool.dedicatedNodes,
              targetLowPriorityNodes: pool.lowPriorityNodes,
              taskSlotsPerNode: pool.taskSlotsPerNode,
              startTask: {
                commandLine: pool.startTaskCommand,
                userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
                waitForSuccess: true,
                maxTaskRetryCount: 1,
              },
              metadata,
            }),
          get: () => batch.pool.get(pool.id, { poolGetOptions: { select: 'id,state,metadata' } }),
        },
      );
      // Ours from an earlier attempt, but on its way out: create it again once it is gone.
      if (lower(ours?.state) === 'deleting') {
        throw ApplicationFailure.create({
          type: 'PoolBeingDeleted',
          message: `pool ${pool.id} of this workflow is being deleted; waiting to create it again`,
        });
      }
      return { created: true };
    },

    /** Allocation state, resize errors and node states of a pool (two requests). */
    async getPoolStatus(args: { poolId: string }): Promise<PoolStatus> {
      let pool: BatchServiceModels.CloudPool;
      try {
        pool = await batch.pool.get(args.poolId, {
          poolGetOptions: {
            select:
              'id,state,allocationState,resizeErrors,currentDedicatedNodes,currentLowPriorityNodes,' +
              'targetDedicatedNodes,targetLowPriorityNodes',
          },
        });
      } catch (err) {
        if (codeOf(err) === 'PoolNotFound' || statusOf(err) === 404) {
          return {
            exists: false,
            resizeErrors: [],
            currentNodes: 0,
            targetNodes: 0,
            nodeStates: {},
          };
        }
        toActivityFailure(err, `read pool ${args.poolId}`);
      }
      const nodeStates: Record<string, number> = {};
      try {
        let page = await batch.computeNode.list(args.poolId, {
          computeNodeListOptions: { select: 'id,state', maxResults: 1000 },
        });
        for (;;) {
          for (const node of page)
            nodeStates[lower(node.state)] = (nodeStates[lower(node.state)] ?? 0) + 1;
          if (!page.odatanextLink) break;
          page = await batch.computeNode.listNext(page.odatanextLink);
        }
      } catch (err) {
        toActivityFailure(err, `list nodes of pool ${args.poolId}`);
      }
      return {
        exists: true,
        state: lower(pool.state),
        allocationState: lower(pool.allocationState),
        resizeErrors: (pool.resizeErrors ?? []).map((e) => ({
          code: e.code ?? 'Unknown',
          message: e.message ?? '',
        })),
        currentNodes: (pool.currentDedicatedNodes ?? 0) + (pool.currentLowPriorityNodes ?? 0),
        targetNodes: (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0),
        nodeStates,
      };
    },

    /** Deletes the pool if this workflow owns it; true when a delete was sent. */
    deletePool(args: { poolId: string; ownerWorkflowId: string }): Promise<boolean> {
      return deleteOwned('Pool', args.poolId, args.ownerWorkflowId, {
        get: () => batch.pool.get(args.poolId, { poolGetOptions: { select: 'id,state,metadata' } }),
        remove: () => batch.pool.deleteMethod(args.poolId),
      });
    },
  };
}
