import type { BatchServiceModels as M } from '@azure/batch';
import { BatchServiceError, Errors } from '../errors';
import type { Operation, OperationResult } from '../pipeline/types';
import { key, type JobRecord, type Task, type TaskRecord } from '../store/types';
import { INFINITE_DURATION } from '../util/duration';
import { checkTaskAdd, checkTaskConstraints } from '../validation/task';
import { readModel } from '../wire/serializer';
import {
  changeHeaders,
  checkConditions,
  entityHeaders,
  listQuery,
  metadata,
  type Services,
  listPage,
} from './common';
import { FILTERABLE } from '../odata/filterable';

/** addtaskcollection takes at most 100 tasks (the JS SDK checks it too; Python chunks). */
export const MAX_TASKS_PER_COLLECTION = 100;

/** Task operations: add, addtaskcollection, get, list, terminate, delete, reactivate, update. */
export class TasksHandler {
  constructor(private readonly s: Services) {}

  private findJob(id: string): JobRecord {
    const rec = this.s.store.getJob(id);
    if (!rec) throw Errors.jobNotFound();
    return rec;
  }

  /** Tasks can be added only to an active job. */
  private jobForAdding(id: string): JobRecord {
    const rec = this.findJob(id);
    if (rec.job.state === 'deleting') throw Errors.jobBeingDeleted();
    if (rec.job.state === 'completed' || rec.job.state === 'terminating')
      throw Errors.jobCompleted();
    return rec;
  }

  private find(job: JobRecord, taskId: string): TaskRecord {
    const rec = this.s.store.getTask(job, taskId);
    if (!rec) throw Errors.taskNotFound();
    return rec;
  }

  private build(job: JobRecord, p: M.TaskAddParameter): Task {
    checkTaskAdd(p);
    const slots = p.requiredSlots ?? 1;
    const now = new Date();
    // Not `{ ...p, ... }`: V8 gives each object spread that way a hidden class of its own, which
    // costs hundreds of bytes per stored task. (The store shares what tasks repeat.)
    return Object.assign({}, p, {
      id: p.id,
      url: `${this.s.serviceUrl()}/jobs/${job.job.id}/tasks/${p.id}`,
      creationTime: now,
      state: 'active',
      stateTransitionTime: now,
      requiredSlots: slots,
      constraints: {
        maxWallClockTime: p.constraints?.maxWallClockTime ?? INFINITE_DURATION,
        retentionTime: p.constraints?.retentionTime ?? 'P7D',
        maxTaskRetryCount:
          p.constraints?.maxTaskRetryCount ?? job.job.constraints?.maxTaskRetryCount ?? 0,
      },
      executionInfo: { retryCount: 0, requeueCount: 0 },
    } satisfies Partial<Task>);
  }

  add = (op: Operation): OperationResult => {
    const job = this.jobForAdding(op.params.jobId);
    const p = readModel<M.TaskAddParameter>('TaskAddParameter', op.body, 'task');
    const task = this.build(job, p);
    if (this.s.store.getTask(job, task.id)) throw Errors.taskExists();
    this.s.store.addTask(job, task);
    this.s.runtime.tasksAdded();
    return { status: 201, headers: changeHeaders(task, task.url!, true) };
  };

  addCollection = (op: Operation): OperationResult => {
    const job = this.jobForAdding(op.params.jobId);
    const body = op.body as { value?: unknown } | undefined;
    if (Array.isArray(body?.value) && body.value.length > MAX_TASKS_PER_COLLECTION) {
      throw Errors.requestBodyTooLarge();
    }
    const p = readModel<M.TaskAddCollectionParameter>(
      'TaskAddCollectionParameter',
      body,
      'taskCollection',
    );
    const seen = new Set<string>();
    const results: M.TaskAddResult[] = p.value.map((item) => {
      try {
        const task = this.build(job, item);
        if (seen.has(key(task.id)) || this.s.store.getTask(job, task.id)) throw Errors.taskExists();
        seen.add(key(task.id));
        this.s.store.addTask(job, task);
        return {
          status: 'success',
          taskId: task.id,
          eTag: task.eTag,
          lastModified: task.lastModified,
          location: task.url,
        };
      } catch (err) {
        if (!(err instanceof BatchServiceError)) throw err;
        const result = {
          status: err.status >= 500 ? 'serverError' : 'clientError',
          taskId: item.id ?? '',
          error: {
            code: err.code,
            message: { lang: 'en-US', value: err.message },
            values: err.values,
          },
        };
        // The service spells statuses in camel case, which the SDK's lower-case type does not list.
        return result as unknown as M.TaskAddResult;
      }
    });
    this.s.runtime.tasksAdded();
    return {
      status: 200,
      body: {
        kind: 'entity',
        mapper: 'TaskAddCollectionResult',
        model: { value: results },
        metadata: metadata(op, 'taskaddresult'),
      },
    };
  };

  get = (op: Operation): OperationResult => {
    const rec = this.find(this.findJob(op.params.jobId), op.params.taskId);
    checkConditions(op, rec.task);
    return {
      status: 200,
      headers: entityHeaders(rec.task),
      body: {
        kind: 'entity',
        mapper: 'CloudTask',
        model: rec.task,
        metadata: metadata(op, 'tasks/@Element'),
        select: listQuery(op).select,
      },
    };
  };

  list = (op: Operation): OperationResult => {
    const job = this.findJob(op.params.jobId);
    return listPage(op, job.tasks.values(), (r) => r.task, {
      mapper: 'CloudTask',
      filterable: FILTERABLE.tasks,
      fragment: 'tasks',
    });
  };

  terminate = (op: Operation): OperationResult => {
    const job = this.findJob(op.params.jobId);
    if (job.job.state === 'deleting') throw Errors.jobBeingDeleted();
    const rec = this.find(job, op.params.taskId);
    checkConditions(op, rec.task);
    if (rec.task.state === 'completed') throw Errors.taskCompleted();
    this.s.runtime.terminateTask(job, rec);
    return { status: 204, headers: changeHeaders(rec.task, rec.task.url!) };
  };

  delete = (op: Operation): OperationResult => {
    const job = this.findJob(op.params.jobId);
    if (job.job.state === 'deleting') throw Errors.jobBeingDeleted();
    const rec = this.find(job, op.params.taskId);
    checkConditions(op, rec.task);
    this.s.runtime.deleteTask(job, rec);
    return { status: 200 };
  };

  reactivate = (op: Operation): OperationResult => {
    const job = this.jobForAdding(op.params.jobId);
    const rec = this.find(job, op.params.taskId);
    checkConditions(op, rec.task);
    if (rec.task.state !== 'completed' || rec.task.executionInfo?.result !== 'failure') {
      throw Errors.invalidForState('Only a completed task that failed can be reactivated.');
    }
    this.s.runtime.reactivateTask(job, rec);
    return { status: 204, headers: changeHeaders(rec.task, rec.task.url!) };
  };

  update = (op: Operation): OperationResult => {
    const job = this.findJob(op.params.jobId);
    if (job.job.state === 'deleting') throw Errors.jobBeingDeleted();
    const rec = this.find(job, op.params.taskId);
    checkConditions(op, rec.task);
    const p = readModel<M.TaskUpdateParameter>(
      'TaskUpdateParameter',
      op.body ?? {},
      'taskUpdateParameter',
    );
    checkTaskConstraints(p.constraints);
    if (rec.task.state === 'completed') throw Errors.taskCompleted();
    this.s.store.updateTask(job, rec, (t) => {
      t.constraints = {
        maxWallClockTime: p.constraints?.maxWallClockTime ?? INFINITE_DURATION,
        retentionTime: p.constraints?.retentionTime ?? 'P7D',
        maxTaskRetryCount: p.constraints?.maxTaskRetryCount ?? 0,
      };
    });
    return { status: 200, headers: changeHeaders(rec.task, rec.task.url!) };
  };
}
