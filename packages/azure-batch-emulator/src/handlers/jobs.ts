import type { BatchServiceModels as M } from '@azure/batch';
import { Errors } from '../errors';
import type { Operation, OperationResult } from '../pipeline/types';
import type { Job, JobRecord } from '../store/types';
import { INFINITE_DURATION } from '../util/duration';
import { checkJobAdd, checkJobChange } from '../validation/job';
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

/** Job operations: add, get, list, patch, update, terminate, delete, task counts. */
export class JobsHandler {
  constructor(private readonly s: Services) {}

  private find(id: string): JobRecord {
    const rec = this.s.store.getJob(id);
    if (!rec) throw Errors.jobNotFound();
    return rec;
  }

  private findNotDeleting(id: string): JobRecord {
    const rec = this.find(id);
    if (rec.job.state === 'deleting') throw Errors.jobBeingDeleted();
    return rec;
  }

  add = (op: Operation): OperationResult => {
    const p = readModel<M.JobAddParameter>('JobAddParameter', op.body, 'job');
    checkJobAdd(p);
    const existing = this.s.store.getJob(p.id);
    if (existing)
      throw existing.job.state === 'deleting' ? Errors.jobBeingDeleted() : Errors.jobExists();
    const now = new Date();
    const url = `${this.s.serviceUrl()}/jobs/${p.id}`;
    const job: Job = {
      ...p,
      id: p.id,
      url,
      creationTime: now,
      state: 'active',
      stateTransitionTime: now,
      priority: p.priority ?? 0,
      maxParallelTasks: p.maxParallelTasks ?? -1,
      allowTaskPreemption: p.allowTaskPreemption ?? false,
      usesTaskDependencies: p.usesTaskDependencies ?? false,
      onAllTasksComplete: p.onAllTasksComplete ?? 'noaction',
      onTaskFailure: p.onTaskFailure ?? 'noaction',
      constraints: {
        maxWallClockTime: p.constraints?.maxWallClockTime ?? INFINITE_DURATION,
        maxTaskRetryCount: p.constraints?.maxTaskRetryCount ?? 0,
      },
      executionInfo: { startTime: now, poolId: p.poolInfo.poolId },
    };
    const rec = this.s.store.addJob(job);
    this.s.runtime.jobAdded(rec);
    return { status: 201, headers: changeHeaders(job, url, true) };
  };

  get = (op: Operation): OperationResult => {
    const rec = this.find(op.params.jobId);
    checkConditions(op, rec.job);
    return {
      status: 200,
      headers: entityHeaders(rec.job),
      body: {
        kind: 'entity',
        mapper: 'CloudJob',
        model: rec.job,
        metadata: metadata(op, 'jobs/@Element'),
        select: listQuery(op).select,
      },
    };
  };

  list = (op: Operation): OperationResult => {
    return listPage(op, this.s.store.listJobs(), (r) => r.job, {
      mapper: 'CloudJob',
      filterable: FILTERABLE.jobs,
      fragment: 'jobs',
    });
  };

  private applyChanges(rec: JobRecord, p: M.JobPatchParameter, replace: boolean): void {
    const job = rec.job;
    checkJobChange(p, job);
    if (job.state === 'completed') throw Errors.jobCompleted();
    if (
      p.poolInfo?.poolId &&
      job.state === 'active' &&
      p.poolInfo.poolId !== job.poolInfo?.poolId
    ) {
      throw Errors.invalidProperty(
        'poolInfo',
        'the pool can change only while the job is disabled',
      );
    }
    if (p.priority !== undefined || replace) job.priority = p.priority ?? 0;
    if (p.maxParallelTasks !== undefined || replace)
      job.maxParallelTasks = p.maxParallelTasks ?? -1;
    if (p.allowTaskPreemption !== undefined || replace)
      job.allowTaskPreemption = p.allowTaskPreemption ?? false;
    if (p.onAllTasksComplete !== undefined || replace) {
      job.onAllTasksComplete = p.onAllTasksComplete ?? 'noaction';
    }
    if (p.constraints !== undefined || replace) {
      job.constraints = {
        maxWallClockTime: p.constraints?.maxWallClockTime ?? INFINITE_DURATION,
        maxTaskRetryCount: p.constraints?.maxTaskRetryCount ?? 0,
      };
    }
    if (p.metadata !== undefined || replace) job.metadata = p.metadata;
    this.s.store.touchJob(rec);
    this.s.runtime.jobChanged(rec);
  }

  patch = (op: Operation): OperationResult => {
    const rec = this.findNotDeleting(op.params.jobId);
    checkConditions(op, rec.job);
    const p = readModel<M.JobPatchParameter>('JobPatchParameter', op.body, 'jobPatchParameter');
    this.applyChanges(rec, p, false);
    return { status: 200, headers: changeHeaders(rec.job, rec.job.url!) };
  };

  update = (op: Operation): OperationResult => {
    const rec = this.findNotDeleting(op.params.jobId);
    checkConditions(op, rec.job);
    const p = readModel<M.JobUpdateParameter>('JobUpdateParameter', op.body, 'jobUpdateParameter');
    this.applyChanges(rec, p, true);
    return { status: 200, headers: changeHeaders(rec.job, rec.job.url!) };
  };

  terminate = (op: Operation): OperationResult => {
    const rec = this.findNotDeleting(op.params.jobId);
    checkConditions(op, rec.job);
    const p = readModel<M.JobTerminateParameter>(
      'JobTerminateParameter',
      optionalBody(op),
      'jobTerminateParameter',
    );
    if (rec.job.state === 'completed') throw Errors.jobCompleted();
    if (rec.job.state === 'terminating') throw Errors.jobBeingTerminated();
    this.s.runtime.terminateJob(rec, p.terminateReason ?? 'UserTerminate');
    return { status: 202, headers: changeHeaders(rec.job, rec.job.url!) };
  };

  delete = (op: Operation): OperationResult => {
    const rec = this.findNotDeleting(op.params.jobId);
    checkConditions(op, rec.job);
    this.s.runtime.deleteJob(rec);
    return { status: 202 };
  };

  taskCounts = (op: Operation): OperationResult => {
    const rec = this.find(op.params.jobId);
    return {
      status: 200,
      body: {
        kind: 'entity',
        mapper: 'TaskCountsResult',
        model: { taskCounts: { ...rec.counts }, taskSlotCounts: { ...rec.slotCounts } },
        metadata: metadata(op, 'taskcounts/@Element'),
      },
    };
  };
}
