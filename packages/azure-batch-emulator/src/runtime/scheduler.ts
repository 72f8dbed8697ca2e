// Batch's task scheduler: which queued task runs on which node slot, and what happens to a
// running task when its node or job goes away under it. Over 300 lines on purpose:
// placement, eviction and recovery read the same queues and must change together.
import type { BatchServiceModels as M } from '@azure/batch';
import {
  key,
  type JobRecord,
  type NodeRecord,
  type PoolRecord,
  type TaskRecord,
} from '../store/types';
import { durationMs } from '../util/duration';
import { runAttempt, type AttemptOutcome } from './attempt';
import { moveState, setState, type RuntimeContext } from './context';
import { taskEnvironment, taskIdentity } from './environment';
import { TaskFailure, userError } from './failure';
import { nodeRoot, taskDirs } from './node-layout';
import { uploadOutputFiles } from './output-files';

interface Running {
  jobId: string;
  taskId: string;
  poolId: string;
  nodeId: string;
  slots: number;
  abort: AbortController;
}

/** How a running (or active) task leaves its node early. */
export type Eviction =
  | { kind: 'requeue'; countAsRequeue: boolean }
  | { kind: 'complete'; info: M.TaskFailureInformation; exitCode?: number }
  | { kind: 'discard' };

export interface SchedulerHooks {
  taskCompleted(job: JobRecord): void;
}

const RECENT_TASKS = 10;
const runKey = (jobId: string, taskId: string) => `${key(jobId)}/${key(taskId)}`;

const failureExit = () =>
  userError('FailureExitCode', 'The task exited with an exit code representing a failure');

/**
 * Puts active tasks on free node slots (never more than taskSlotsPerNode per node) and runs
 * each attempt: resource files, process, retries on nonzero exit, output files, completion.
 */
export class Scheduler {
  private running = new Map<string, Running>();
  private queued = false;
  private paused = false;

  constructor(
    private readonly rt: RuntimeContext,
    private readonly hooks: SchedulerHooks,
  ) {}

  get runningCount(): number {
    return this.running.size;
  }

  /** Schedules one pass soon; many calls in a burst make one pass. */
  kick(): void {
    if (this.queued || this.paused) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (this.paused) return;
      try {
        this.tick();
      } catch (err) {
        this.rt.log(
          `scheduler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
    });
  }

  private tick(): void {
    for (const job of this.rt.store.listJobs()) {
      if (job.job.state !== 'active' || job.active.size === 0) continue;
      const pool = this.rt.store.getPool(job.job.poolInfo?.poolId ?? '');
      if (!pool || pool.pool.state !== 'active') continue;
      const perNode = pool.pool.taskSlotsPerNode ?? 1;
      const nodes = [...pool.nodes.values()].filter(
        (n) =>
          (n.node.state === 'idle' || n.node.state === 'running') &&
          n.node.schedulingState !== 'disabled' &&
          (n.node.runningTaskSlotsCount ?? 0) < perNode,
      );
      if (nodes.length === 0) continue;
      const free = (n: NodeRecord) => perNode - (n.node.runningTaskSlotsCount ?? 0);
      let budget = nodes.reduce((sum, n) => sum + free(n), 0);
      const maxParallel = job.job.maxParallelTasks ?? -1;
      if (maxParallel >= 0) budget = Math.min(budget, maxParallel - job.counts.running);
      const pack = pool.pool.taskSchedulingPolicy?.nodeFillType === 'pack';
      const picked: TaskRecord[] = [];
      for (const k of job.active) {
        if (picked.length >= budget) break;
        const rec = job.tasks.get(k);
        if (rec) picked.push(rec);
      }
      for (const rec of picked) {
        const slots = rec.task.requiredSlots ?? 1;
        const fits = nodes.filter((n) => free(n) >= slots);
        if (fits.length === 0) continue;
        fits.sort((a, b) => (pack ? free(a) - free(b) : free(b) - free(a)));
        this.start(job, rec, pool, fits[0]);
      }
    }
  }

  private start(job: JobRecord, rec: TaskRecord, pool: PoolRecord, n: NodeRecord): void {
    const slots = rec.task.requiredSlots ?? 1;
    const run: Running = {
      jobId: job.job.id,
      taskId: rec.task.id,
      poolId: pool.pool.id,
      nodeId: n.node.id,
      slots,
      abort: new AbortController(),
    };
    this.running.set(runKey(run.jobId, run.taskId), run);
    const now = new Date();
    const relative = taskDirs('', job.job.id, rec.task.id).relative;
    this.rt.store.updateTask(job, rec, (t) => {
      moveState(t, 'running', now);
      t.executionInfo = {
        retryCount: t.executionInfo?.retryCount ?? 0,
        requeueCount: t.executionInfo?.requeueCount ?? 0,
        lastRetryTime: t.executionInfo?.lastRetryTime,
        lastRequeueTime: t.executionInfo?.lastRequeueTime,
        startTime: now,
      };
      t.nodeInfo = {
        affinityId: n.node.affinityId,
        nodeUrl: n.node.url,
        poolId: pool.pool.id,
        nodeId: n.node.id,
        taskRootDirectory: relative,
        taskRootDirectoryUrl: `${n.node.url}/files/${relative}`,
      };
    });
    const node = n.node;
    node.runningTasksCount = (node.runningTasksCount ?? 0) + 1;
    node.runningTaskSlotsCount = (node.runningTaskSlotsCount ?? 0) + slots;
    node.totalTasksRun = (node.totalTasksRun ?? 0) + 1;
    if (node.state !== 'running') setState(node, 'running', now);
    node.recentTasks = [
      ...(node.recentTasks ?? []).filter((t) => t.taskUrl !== rec.task.url),
      {
        taskUrl: rec.task.url,
        jobId: job.job.id,
        taskId: rec.task.id,
        taskState: 'running' as const,
        executionInfo: rec.task.executionInfo,
      },
    ].slice(-RECENT_TASKS);
    this.rt.store.touchNode(n);
    this.execute(run).catch((err: unknown) => {
      this.rt.log(
        `task ${run.jobId}/${run.taskId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      if (this.isCurrent(run)) {
        this.finish(run, {
          info: { category: 'servererror', code: 'InternalError', message: String(err) },
        });
      }
    });
  }

  private isCurrent(run: Running): boolean {
    return this.running.get(runKey(run.jobId, run.taskId)) === run;
  }

  private lookup(run: Running) {
    const job = this.rt.store.getJob(run.jobId);
    const rec = job && this.rt.store.getTask(job, run.taskId);
    const pool = this.rt.store.getPool(run.poolId);
    const n = pool?.nodes.get(key(run.nodeId));
    return job && rec && pool && n ? { job, rec, pool, n } : undefined;
  }

  private async execute(run: Running): Promise<void> {
    const found = this.lookup(run);
    if (!found) return;
    const { job, rec, pool, n } = found;
    const task = rec.task;
    const root = nodeRoot(this.rt.options.dataDir, pool.pool.id, n.node.id);
    const dirs = taskDirs(root, job.job.id, task.id);
    const identity = taskIdentity(pool.pool, task.userIdentity, this.rt.users, root);
    const outcome: AttemptOutcome = await runAttempt({
      processes: this.rt.processes,
      commandLine: task.commandLine ?? '',
      resourceFiles: task.resourceFiles,
      dirs,
      nodeRoot: root,
      identity,
      env: taskEnvironment({
        image: this.rt.image,
        accountName: this.rt.options.accountName,
        accountUrl: this.rt.serviceUrl(),
        pool: pool.pool,
        nodeId: n.node.id,
        nodeRoot: root,
        isDedicated: n.node.isDedicated ?? true,
        dirs,
        taskId: task.id,
        jobId: job.job.id,
        identity,
        settings: [job.job.commonEnvironmentSettings, task.environmentSettings],
      }),
      wallClockMs: durationMs(task.constraints?.maxWallClockTime),
      signal: run.abort.signal,
    });
    if (!this.isCurrent(run) || outcome.kind === 'aborted') return;

    if (outcome.kind === 'exited' && outcome.exitCode !== 0) {
      const max = task.constraints?.maxTaskRetryCount ?? 0;
      const tried = task.executionInfo?.retryCount ?? 0;
      if (max === -1 || tried < max) {
        this.release(run);
        this.rt.store.updateTask(job, rec, (t) => {
          moveState(t, 'active');
          t.executionInfo = {
            ...t.executionInfo,
            requeueCount: t.executionInfo?.requeueCount ?? 0,
            retryCount: tried + 1,
            lastRetryTime: new Date(),
            exitCode: outcome.exitCode,
          };
        });
        this.kick();
        return;
      }
    }

    let info =
      outcome.kind === 'failed' ? outcome.info : outcome.exitCode !== 0 ? failureExit() : undefined;
    const exitCode = outcome.exitCode;
    // Output files follow a process that ran; a pre-processing failure ran nothing.
    if (exitCode !== undefined) {
      try {
        await uploadOutputFiles(
          task.outputFiles,
          info ? 'failure' : 'success',
          dirs,
          root,
          run.abort.signal,
          identity.user,
        );
      } catch (err) {
        if (!(err instanceof TaskFailure)) {
          if (run.abort.signal.aborted) return;
          throw err;
        }
        info ??= err.info;
      }
    }
    if (!this.isCurrent(run)) return;
    this.finish(run, { info, exitCode });
  }

  /** Frees the run's slots on its node. */
  private release(run: Running): void {
    this.running.delete(runKey(run.jobId, run.taskId));
    const n = this.rt.store.getPool(run.poolId)?.nodes.get(key(run.nodeId));
    if (!n) return;
    const node = n.node;
    node.runningTasksCount = Math.max(0, (node.runningTasksCount ?? 0) - 1);
    node.runningTaskSlotsCount = Math.max(0, (node.runningTaskSlotsCount ?? 0) - run.slots);
    if (node.state === 'running' && node.runningTasksCount === 0) setState(node, 'idle');
    this.rt.store.touchNode(n);
  }

  private finish(
    run: Running,
    result: { info?: M.TaskFailureInformation; exitCode?: number },
  ): void {
    this.release(run);
    const found = this.lookup(run);
    const job = this.rt.store.getJob(run.jobId);
    const rec = job && this.rt.store.getTask(job, run.taskId);
    if (!job || !rec) return;
    this.complete(job, rec, result);
    const n = found?.n;
    if (n) {
      if (!result.info) n.node.totalTasksSucceeded = (n.node.totalTasksSucceeded ?? 0) + 1;
      for (const t of n.node.recentTasks ?? []) {
        if (t.taskUrl === rec.task.url) {
          t.taskState = 'completed';
          t.executionInfo = rec.task.executionInfo;
        }
      }
      this.rt.store.touchNode(n);
    }
    this.kick();
  }

  /** Moves a task to completed (from running or active) and tells the job. */
  complete(
    job: JobRecord,
    rec: TaskRecord,
    result: { info?: M.TaskFailureInformation; exitCode?: number },
  ): void {
    this.rt.store.updateTask(job, rec, (t) => {
      moveState(t, 'completed');
      t.executionInfo = {
        ...t.executionInfo,
        retryCount: t.executionInfo?.retryCount ?? 0,
        requeueCount: t.executionInfo?.requeueCount ?? 0,
        endTime: new Date(),
        exitCode: result.exitCode,
        result: result.info ? 'failure' : 'success',
        failureInfo: result.info,
      };
    });
    this.hooks.taskCompleted(job);
  }

  /** Takes a task off its node now (kill included); the late outcome of its attempt is ignored. */
  evict(job: JobRecord, rec: TaskRecord, eviction: Eviction): void {
    const run = this.running.get(runKey(job.job.id, rec.task.id));
    if (run) {
      this.release(run);
      run.abort.abort();
    }
    switch (eviction.kind) {
      case 'requeue':
        this.rt.store.updateTask(job, rec, (t) => {
          moveState(t, 'active');
          const info = t.executionInfo ?? { retryCount: 0, requeueCount: 0 };
          t.executionInfo = {
            ...info,
            requeueCount: info.requeueCount + (eviction.countAsRequeue ? 1 : 0),
            lastRequeueTime: eviction.countAsRequeue ? new Date() : info.lastRequeueTime,
          };
        });
        break;
      case 'complete':
        this.complete(job, rec, { info: eviction.info, exitCode: eviction.exitCode });
        break;
      case 'discard':
        break;
    }
    this.kick();
  }

  /** Every running task of a node, as (job, task) records. */
  onNode(poolId: string, nodeId: string): { job: JobRecord; rec: TaskRecord }[] {
    return this.select((r) => key(r.poolId) === key(poolId) && key(r.nodeId) === key(nodeId));
  }

  onJob(jobId: string): { job: JobRecord; rec: TaskRecord }[] {
    return this.select((r) => key(r.jobId) === key(jobId));
  }

  private select(pred: (r: Running) => boolean) {
    const out: { job: JobRecord; rec: TaskRecord }[] = [];
    for (const r of this.running.values()) {
      if (!pred(r)) continue;
      const job = this.rt.store.getJob(r.jobId);
      const rec = job && this.rt.store.getTask(job, r.taskId);
      if (job && rec) out.push({ job, rec });
    }
    return out;
  }

  /** After a restart: tasks that were running go back to active, as after a node reboot. */
  recover(): void {
    for (const job of this.rt.store.listJobs()) {
      for (const rec of job.tasks.values()) {
        if (rec.task.state === 'running' || rec.task.state === 'preparing') {
          this.rt.store.updateTask(job, rec, (t) => moveState(t, 'active'));
        }
      }
    }
    this.kick();
  }

  /** Kills every attempt without changing state (shutdown: a restart requeues them). */
  pause(): void {
    this.paused = true;
    for (const run of this.running.values()) run.abort.abort();
    this.running.clear();
  }

  resume(): void {
    this.paused = false;
    this.kick();
  }
}
