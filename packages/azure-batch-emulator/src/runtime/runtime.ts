import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedOptions } from '../config';
import { Errors } from '../errors';
import type { BatchStore, JobRecord, NodeRecord, PoolRecord, TaskRecord } from '../store/types';
import { Allocator, type NodeDeallocation, type NodeLoss } from './allocator';
import { installNodeImage } from './apt-shim';
import { protectDataDir } from './isolation';
import type { RuntimeContext } from './context';
import { JobLifecycle, taskEnded } from './jobs';
import { ProcessTable } from './process';
import { Scheduler } from './scheduler';
import { resolveTaskUsers } from './task-user';
import { Timers } from './timers';

/**
 * The emulated Batch service behind the REST handlers: pool allocation, node lifecycle,
 * scheduling and task execution. Handlers check preconditions; the runtime changes state.
 */
export class Runtime {
  readonly processes = new ProcessTable();
  private readonly timers: Timers;
  private readonly allocator: Allocator;
  private readonly scheduler: Scheduler;
  private readonly jobs: JobLifecycle;
  private url = '';

  constructor(
    private readonly store: BatchStore,
    private readonly options: ResolvedOptions,
  ) {
    this.timers = new Timers((err) => options.log(`runtime: ${String(err)}`));
    const users = resolveTaskUsers();
    options.log(`task users: ${users.note}`);
    const image = installNodeImage(join(options.dataDir, 'image'));
    protectDataDir(options.dataDir, users, options.log);
    const rt: RuntimeContext = {
      store,
      options,
      image,
      timers: this.timers,
      processes: this.processes,
      users,
      serviceUrl: () => this.url,
      log: options.log,
    };
    this.jobs = new JobLifecycle(rt);
    this.scheduler = new Scheduler(rt, { taskCompleted: (job) => this.jobs.checkCompletion(job) });
    this.jobs.attach(this.scheduler);
    this.allocator = new Allocator(rt, {
      nodeReady: () => this.scheduler.kick(),
      nodeLost: (pool, node, loss) => this.evictFromNode(pool, node, loss),
    });
  }

  setServiceUrl(url: string): void {
    this.url = url;
  }

  get runningTasks(): number {
    return this.scheduler.runningCount;
  }

  private evictFromNode(pool: PoolRecord, node: NodeRecord, loss: NodeLoss): void {
    for (const { job, rec } of this.scheduler.onNode(pool.pool.id, node.node.id)) {
      this.scheduler.evict(
        job,
        rec,
        loss === 'terminate'
          ? { kind: 'complete', info: taskEnded() }
          : { kind: 'requeue', countAsRequeue: loss === 'requeue' },
      );
    }
  }

  // pools
  poolAdded(pool: PoolRecord): void {
    this.allocator.beginResize(pool);
  }
  poolResized(pool: PoolRecord, deallocation?: NodeDeallocation): void {
    this.allocator.beginResize(pool, deallocation);
  }
  stopResize(pool: PoolRecord): void {
    this.allocator.stopResize(pool);
  }
  deletePool(pool: PoolRecord): void {
    this.allocator.deletePool(pool);
  }
  preempt(pool: PoolRecord, node: NodeRecord): void {
    if (node.node.isDedicated) throw Errors.nodeNotLowPriority();
    this.allocator.preempt(pool, node);
  }

  // jobs
  jobAdded(job: JobRecord): void {
    this.jobs.added(job);
    this.scheduler.kick();
  }
  jobChanged(job: JobRecord): void {
    this.jobs.checkCompletion(job);
    this.scheduler.kick();
  }
  terminateJob(job: JobRecord, reason: string): void {
    this.jobs.terminate(job, reason);
  }
  deleteJob(job: JobRecord): void {
    this.jobs.delete(job);
  }

  // tasks
  tasksAdded(): void {
    this.scheduler.kick();
  }
  terminateTask(job: JobRecord, rec: TaskRecord): void {
    this.scheduler.evict(job, rec, { kind: 'complete', info: taskEnded() });
  }
  deleteTask(job: JobRecord, rec: TaskRecord): void {
    this.scheduler.evict(job, rec, { kind: 'discard' });
    this.store.removeTask(job, rec.task.id);
    this.jobs.checkCompletion(job);
  }
  reactivateTask(job: JobRecord, rec: TaskRecord): void {
    this.store.updateTask(job, rec, (t) => {
      t.previousState = t.state;
      t.previousStateTransitionTime = t.stateTransitionTime;
      t.state = 'active';
      t.stateTransitionTime = new Date();
      t.executionInfo = { retryCount: 0, requeueCount: t.executionInfo?.requeueCount ?? 0 };
    });
    this.scheduler.kick();
  }

  // lifecycle
  /** Picks up persisted state: running tasks requeued, nodes rebooted, pending work resumed. */
  recover(): void {
    this.scheduler.recover();
    this.jobs.recover();
    this.allocator.recover();
    this.scheduler.resume();
  }

  /** Stops all activity and kills every process; state is left as it was. */
  async stop(): Promise<void> {
    this.scheduler.pause();
    this.allocator.abortAll();
    this.timers.clearAll();
    await this.processes.killAll();
  }

  /** Stops all activity and removes every node directory. */
  async reset(): Promise<void> {
    await this.stop();
    // Retried as the allocator's wipe is: a node's files may still be being written or removed.
    await rm(join(this.options.dataDir, 'nodes'), { recursive: true, force: true, maxRetries: 3 });
    this.scheduler.resume();
  }
}
