// The pool's size while a run goes on: fitting it down as the queue drains, to nothing while a
// decision is awaited, and the node list that a run's node-seconds are counted from.
import { ApplicationFailure } from '@temporalio/common';
import type { BatchServiceModels } from '@azure/batch';
import { codeOf, toActivityFailure } from '../errors';
import { lower, type BatchClients } from './clients';
import { ownerOf } from './owner';

/** Node targets by priority. */
export interface NodeTargets {
  dedicated: number;
  lowPriority: number;
}

/**
 * What a resize did: sent, or not needed (the targets are already these), or not possible now
 * (another resize is under way, e.g. nodes still finishing their tasks), or the pool is gone.
 */
export type ResizeOutcome = 'resized' | 'unchanged' | 'busy' | 'gone';

/** One node as a run's cost accounting needs it. */
export interface NodeSeen {
  id: string;
  dedicated: boolean;
  /** When Batch allocated it to the pool (epoch ms). */
  allocatedAtMs?: number;
  state: string;
}

export function createPoolSizeActivities({ batch }: BatchClients) {
  return {
    /**
     * Sets the pool's node targets; nodes leave as `deallocation` says (`taskcompletion`: once
     * their running tasks end). Idempotent: targets already in force are `unchanged`; a pool
     * in another resize is `busy`, or, with `waitWhileResizing`, retried until it is steady.
     */
    async resizePool(args: {
      poolId: string;
      ownerWorkflowId: string;
      targets: NodeTargets;
      deallocation: BatchServiceModels.ComputeNodeDeallocationOption;
      waitWhileResizing?: boolean;
    }): Promise<ResizeOutcome> {
      const { poolId, targets } = args;
      const busy = (): ResizeOutcome => {
        if (!args.waitWhileResizing) return 'busy';
        throw ApplicationFailure.create({
          type: 'PoolBeingResized',
          message: `pool ${poolId} is being resized; trying again once it is steady`,
        });
      };
      let pool: BatchServiceModels.CloudPool;
      try {
        pool = await batch.pool.get(poolId, {
          poolGetOptions: {
            select: 'id,state,allocationState,targetDedicatedNodes,targetLowPriorityNodes,metadata',
          },
        });
      } catch (err) {
        if (codeOf(err) === 'PoolNotFound') return 'gone';
        toActivityFailure(err, `read pool ${poolId}`);
      }
      if (ownerOf(pool.metadata) !== args.ownerWorkflowId) {
        throw ApplicationFailure.create({
          type: 'ResourceOwnedByAnother',
          nonRetryable: true,
          message: `pool ${poolId} is not this run's: not resizing it`,
        });
      }
      if (lower(pool.state) === 'deleting') return 'gone';
      const same =
        (pool.targetDedicatedNodes ?? 0) === targets.dedicated &&
        (pool.targetLowPriorityNodes ?? 0) === targets.lowPriority;
      if (same) return 'unchanged';
      if (lower(pool.allocationState) !== 'steady') return busy();
      try {
        await batch.pool.resize(poolId, {
          targetDedicatedNodes: targets.dedicated,
          targetLowPriorityNodes: targets.lowPriority,
          nodeDeallocationOption: args.deallocation,
        });
        return 'resized';
      } catch (err) {
        const code = codeOf(err);
        if (code === 'PoolNotFound' || code === 'PoolBeingDeleted') return 'gone';
        // Batch refuses a resize while one is under way (ours, from a lost answer, included).
        if (code === 'PoolBeingResized' || code === 'OperationInvalidForCurrentState')
          return busy();
        toActivityFailure(err, `resize pool ${poolId}`);
      }
    },

    /** The pool's nodes with their priority, allocation time and state (one list, paged). */
    async listNodeAllocations(args: {
      poolId: string;
    }): Promise<{ exists: boolean; nodes: NodeSeen[] }> {
      const nodes: NodeSeen[] = [];
      try {
        let page = await batch.computeNode.list(args.poolId, {
          computeNodeListOptions: {
            select: 'id,state,isDedicated,allocationTime',
            maxResults: 1000,
          },
        });
        for (;;) {
          for (const node of page) {
            nodes.push({
              id: node.id ?? '',
              dedicated: node.isDedicated ?? true,
              allocatedAtMs: node.allocationTime
                ? new Date(node.allocationTime).getTime()
                : undefined,
              state: lower(node.state),
            });
          }
          if (!page.odatanextLink) break;
          page = await batch.computeNode.listNext(page.odatanextLink);
        }
      } catch (err) {
        if (codeOf(err) === 'PoolNotFound') return { exists: false, nodes: [] };
        toActivityFailure(err, `list nodes of pool ${args.poolId}`);
      }
      return { exists: true, nodes };
    },
  };
}
