import type { BatchServiceModels as M } from '@azure/batch';
import { Errors } from '../errors';
import { takePage, nextLink } from '../odata/paging';
import type { Operation, OperationResult } from '../pipeline/types';
import type { Pool, PoolRecord } from '../store/types';
import { checkId } from '../util/ids';
import { readModel } from '../wire/serializer';
import {
  changeHeaders,
  checkConditions,
  entityHeaders,
  listQuery,
  metadata,
  optionalBody,
  type Services,
} from './common';

const MAX_SLOTS_PER_NODE = 256;

/** Pool operations: add, get, exists, list, delete, resize, stop resize, patch. */
export class PoolsHandler {
  constructor(private readonly s: Services) {}

  private find(id: string): PoolRecord {
    const rec = this.s.store.getPool(id);
    if (!rec) throw Errors.poolNotFound();
    return rec;
  }

  private findActive(id: string): PoolRecord {
    const rec = this.find(id);
    if (rec.pool.state === 'deleting') throw Errors.poolBeingDeleted();
    return rec;
  }

  add = (op: Operation): OperationResult => {
    const p = readModel<M.PoolAddParameter>('PoolAddParameter', op.body, 'pool');
    checkId(p.id);
    if (!p.virtualMachineConfiguration && !p.cloudServiceConfiguration) {
      throw Errors.missingProperty('virtualMachineConfiguration');
    }
    if (p.enableAutoScale) {
      throw Errors.invalidProperty(
        'enableAutoScale',
        'autoscale is not emulated; set target node counts',
      );
    }
    const slots = p.taskSlotsPerNode ?? 1;
    if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS_PER_NODE) {
      throw Errors.invalidProperty('taskSlotsPerNode', `must be from 1 to ${MAX_SLOTS_PER_NODE}`);
    }
    for (const [name, v] of [
      ['targetDedicatedNodes', p.targetDedicatedNodes],
      ['targetLowPriorityNodes', p.targetLowPriorityNodes],
    ] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw Errors.invalidProperty(name);
    }
    const existing = this.s.store.getPool(p.id);
    if (existing) {
      throw existing.pool.state === 'deleting' ? Errors.poolBeingDeleted() : Errors.poolExists();
    }
    const now = new Date();
    const url = `${this.s.serviceUrl()}/pools/${p.id}`;
    const pool: Pool = {
      ...p,
      id: p.id,
      url,
      creationTime: now,
      state: 'active',
      stateTransitionTime: now,
      allocationState: 'resizing',
      allocationStateTransitionTime: now,
      resizeTimeout: p.resizeTimeout ?? 'PT15M',
      currentDedicatedNodes: 0,
      currentLowPriorityNodes: 0,
      targetDedicatedNodes: p.targetDedicatedNodes ?? 0,
      targetLowPriorityNodes: p.targetLowPriorityNodes ?? 0,
      enableAutoScale: false,
      enableInterNodeCommunication: p.enableInterNodeCommunication ?? false,
      taskSlotsPerNode: slots,
      taskSchedulingPolicy: p.taskSchedulingPolicy ?? { nodeFillType: 'spread' },
    };
    const rec = this.s.store.addPool(pool);
    this.s.runtime.poolAdded(rec);
    return { status: 201, headers: changeHeaders(pool, url, true) };
  };

  get = (op: Operation): OperationResult => {
    const rec = this.find(op.params.poolId);
    checkConditions(op, rec.pool);
    const { select } = listQuery(op);
    return {
      status: 200,
      headers: entityHeaders(rec.pool),
      body: {
        kind: 'entity',
        mapper: 'CloudPool',
        model: rec.pool,
        metadata: metadata(op, 'pools/@Element'),
        select,
      },
    };
  };

  exists = (op: Operation): OperationResult => {
    const rec = this.find(op.params.poolId);
    checkConditions(op, rec.pool);
    return { status: 200, headers: entityHeaders(rec.pool) };
  };

  list = (op: Operation): OperationResult => {
    const q = listQuery(op);
    const { page, nextAfter } = takePage(
      this.s.store.listPools(),
      q.paging,
      (r) => !q.filter || q.filter(r.pool),
    );
    return {
      status: 200,
      body: {
        kind: 'list',
        mapper: 'CloudPool',
        models: page.map((r) => r.pool),
        metadata: metadata(op, 'pools'),
        nextLink:
          nextAfter === undefined
            ? undefined
            : nextLink(op.baseUrl, op.rawPath, op.query, nextAfter),
        select: q.select,
      },
    };
  };

  delete = (op: Operation): OperationResult => {
    const rec = this.findActive(op.params.poolId);
    checkConditions(op, rec.pool);
    this.s.runtime.deletePool(rec);
    return { status: 202 };
  };

  resize = (op: Operation): OperationResult => {
    const rec = this.findActive(op.params.poolId);
    checkConditions(op, rec.pool);
    const p = readModel<M.PoolResizeParameter>(
      'PoolResizeParameter',
      optionalBody(op),
      'poolResizeParameter',
    );
    if (rec.pool.allocationState !== 'steady') throw Errors.poolBeingResized();
    for (const [name, v] of [
      ['targetDedicatedNodes', p.targetDedicatedNodes],
      ['targetLowPriorityNodes', p.targetLowPriorityNodes],
    ] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw Errors.invalidProperty(name);
    }
    if (p.targetDedicatedNodes !== undefined)
      rec.pool.targetDedicatedNodes = p.targetDedicatedNodes;
    if (p.targetLowPriorityNodes !== undefined)
      rec.pool.targetLowPriorityNodes = p.targetLowPriorityNodes;
    if (p.resizeTimeout) rec.pool.resizeTimeout = p.resizeTimeout;
    this.s.runtime.poolResized(rec);
    return { status: 202, headers: changeHeaders(rec.pool, rec.pool.url!) };
  };

  stopResize = (op: Operation): OperationResult => {
    const rec = this.findActive(op.params.poolId);
    this.s.runtime.stopResize(rec);
    return { status: 202, headers: changeHeaders(rec.pool, rec.pool.url!) };
  };

  patch = (op: Operation): OperationResult => {
    const rec = this.findActive(op.params.poolId);
    checkConditions(op, rec.pool);
    const p = readModel<M.PoolPatchParameter>('PoolPatchParameter', op.body, 'poolPatchParameter');
    if (p.startTask !== undefined) rec.pool.startTask = p.startTask;
    if (p.metadata !== undefined) rec.pool.metadata = p.metadata;
    if (p.applicationPackageReferences !== undefined) {
      rec.pool.applicationPackageReferences = p.applicationPackageReferences;
    }
    if (p.targetNodeCommunicationMode !== undefined) {
      rec.pool.targetNodeCommunicationMode = p.targetNodeCommunicationMode;
    }
    this.s.store.touchPool(rec);
    return { status: 200, headers: changeHeaders(rec.pool, rec.pool.url!) };
  };
}
