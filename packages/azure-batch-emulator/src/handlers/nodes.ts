import { Errors } from '../errors';
import type { Operation, OperationResult } from '../pipeline/types';
import type { PoolRecord } from '../store/types';
import { listQuery, metadata, type Services, listPage } from './common';
import { FILTERABLE } from '../odata/filterable';

/** Compute node operations: list and get. */
export class NodesHandler {
  constructor(private readonly s: Services) {}

  private pool(id: string): PoolRecord {
    const rec = this.s.store.getPool(id);
    if (!rec) throw Errors.poolNotFound();
    return rec;
  }

  list = (op: Operation): OperationResult => {
    const pool = this.pool(op.params.poolId);
    return listPage(op, pool.nodes.values(), (r) => r.node, {
      mapper: 'ComputeNode',
      filterable: FILTERABLE.nodes,
      fragment: 'nodes',
    });
  };

  get = (op: Operation): OperationResult => {
    const rec = this.pool(op.params.poolId).nodes.get(op.params.nodeId.toLowerCase());
    if (!rec) throw Errors.nodeNotFound();
    return {
      status: 200,
      body: {
        kind: 'entity',
        mapper: 'ComputeNode',
        model: rec.node,
        metadata: metadata(op, 'nodes/@Element'),
        select: listQuery(op).select,
      },
    };
  };
}
