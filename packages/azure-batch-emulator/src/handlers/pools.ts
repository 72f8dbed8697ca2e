import type { BatchServiceModels as M } from '@azure/batch';
import { Errors } from '../errors';
import type { Operation, OperationResult } from '../pipeline/types';
import type { Pool, PoolRecord } from '../store/types';
import { checkPoolAdd, checkPoolPatch, checkPoolResize } from '../validation/pool';
import { readModel } from '../wire/serializer';
import {
  changeHeaders,
  checkConditions,
  entityHeaders,
  listQuery,
  metadata,
  optionalBody,
  type Services,
  listPage,
} from './common';
import { FILTERABLE } from '../odata/filterable';

/** Pool operations: add, get, exists, list, delete, resize, stop resize, patch, update properties. */
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
    const now = new Date();
    const size = checkPoolAdd(p, now);
    const existing = this.s.store.getPool(p.id);
    if (existing) {
      throw existing.pool.state === 'deleting' ? Errors.poolBeingDeleted() : Errors.poolExists();
    }
    const url = `${this.s.serviceUrl()}/pools/${p.id}`;
    const vm = p.virtualMachineConfiguration!;
    const pool: Pool = {
      ...p,
      id: p.id,
      url,
      creationTime: now,
      state: 'active',
      stateTransitionTime: now,
      allocationState: 'resizing',
      allocationStateTransitionTime: now,
      // Batch keeps the size lower-case (`standard_a1_v2`) and the image version as `latest`.
      vmSize: size.name,
      virtualMachineConfiguration: {
        ...vm,
        imageReference:
          vm.imageReference.virtualMachineImageId === undefined
            ? { ...vm.imageReference, version: vm.imageReference.version ?? 'latest' }
            : vm.imageReference,
      },
      resizeTimeout: p.resizeTimeout ?? 'PT15M',
      currentDedicatedNodes: 0,
      currentLowPriorityNodes: 0,
      // Batch takes a pool without targets as one of 0 nodes (recorded service answers).
      targetDedicatedNodes: p.targetDedicatedNodes ?? 0,
      targetLowPriorityNodes: p.targetLowPriorityNodes ?? 0,
      enableAutoScale: false,
      enableInterNodeCommunication: p.enableInterNodeCommunication ?? false,
      taskSlotsPerNode: p.taskSlotsPerNode ?? 1,
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
    return listPage(op, this.s.store.listPools(), (r) => r.pool, {
      mapper: 'CloudPool',
      filterable: FILTERABLE.pools,
      fragment: 'pools',
    });
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
    checkPoolResize(p);
    if (rec.pool.allocationState !== 'steady') throw Errors.poolBeingResized();
    if (p.targetDedicatedNodes !== undefined)
      rec.pool.targetDedicatedNodes = p.targetDedicatedNodes;
    if (p.targetLowPriorityNodes !== undefined)
      rec.pool.targetLowPriorityNodes = p.targetLowPriorityNodes;
    if (p.resizeTimeout) rec.pool.resizeTimeout = p.resizeTimeout;
    this.s.runtime.poolResized(rec, p.nodeDeallocationOption);
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
    checkPoolPatch(p);
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

  /** Replaces the updatable properties: a start task left out is removed, lists are replaced. */
  updateProperties = (op: Operation): OperationResult => {
    const rec = this.findActive(op.params.poolId);
    checkConditions(op, rec.pool);
    const p = readModel<M.PoolUpdatePropertiesParameter>(
      'PoolUpdatePropertiesParameter',
      op.body,
      'poolUpdatePropertiesParameter',
    );
    checkPoolPatch(p);
    rec.pool.startTask = p.startTask;
    rec.pool.certificateReferences = p.certificateReferences;
    rec.pool.applicationPackageReferences = p.applicationPackageReferences;
    rec.pool.metadata = p.metadata;
    if (p.targetNodeCommunicationMode !== undefined) {
      rec.pool.targetNodeCommunicationMode = p.targetNodeCommunicationMode;
    }
    this.s.store.touchPool(rec);
    return { status: 204, headers: changeHeaders(rec.pool, rec.pool.url!) };
  };
}
