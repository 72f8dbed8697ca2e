import { Errors } from '../errors';
import { nextLink, takePage } from '../odata/paging';
import type { Operation, OperationResult } from '../pipeline/types';
import type { PoolRecord } from '../store/types';
import { listQuery, metadata, type Services } from './common';

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
    const q = listQuery(op);
    const { page, nextAfter } = takePage(
      pool.nodes.values(),
      q.paging,
      (r) => !q.filter || q.filter(r.node),
    );
    return {
      status: 200,
      body: {
        kind: 'list',
        mapper: 'ComputeNode',
        models: page.map((r) => r.node),
        metadata: metadata(op, 'nodes'),
        nextLink:
          nextAfter === undefined
            ? undefined
            : nextLink(op.baseUrl, op.rawPath, op.query, nextAfter),
        select: q.select,
      },
    };
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
