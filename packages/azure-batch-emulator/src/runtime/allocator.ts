// Pool allocation: resize to the target node counts, each node through creating → starting →
// start task → idle, preemption of low-priority nodes, deletion. Over 300 lines on purpose: a
// node's life is one state machine, and splitting it would scatter its transitions.
import type { BatchServiceModels as M } from '@azure/batch';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { key, type Node, type NodeRecord, type PoolRecord } from '../store/types';
import { runAttempt } from './attempt';
import { setState, type RuntimeContext } from './context';
import { taskEnvironment, taskIdentity } from './environment';
import { userError } from './failure';
import { prepareNodeDirs } from './isolation';
import { NODE_SUBDIRS, nodeRoot, poolRoot, startTaskDirs } from './node-layout';
import { coresOf } from './vm-sizes';

export interface AllocatorHooks {
  /** A node can take tasks now. */
  nodeReady(): void;
  /** A node is going away or restarting: its running tasks go back to active, or end. */
  nodeLost(pool: PoolRecord, node: NodeRecord, loss: NodeLoss): void;
}

/**
 * What happens to a lost node's running tasks: requeued at the user's request (counted in
 * requeueCount), requeued by a preemption or restart (not counted), or ended (`terminate`).
 */
export type NodeLoss = 'requeue' | 'preempt' | 'terminate';

/** Batch's `nodeDeallocationOption` of a resize down; `requeue` when absent. */
export type NodeDeallocation = 'requeue' | 'terminate' | 'taskcompletion' | 'retaineddata';

/** How often a resize waiting for nodes to finish their tasks looks again. */
const LEAVING_CHECK_MS = 50;

const nodeKey = (poolId: string, nodeId: string) => `${key(poolId)}/${key(nodeId)}`;

/**
 * Pool sizing and node lifecycle: resizes settle after a delay within the core quota; nodes go
 * creating → starting → (waitingforstarttask) → idle, or starttaskfailed; low-priority nodes can
 * be preempted and come back with the same id.
 */
export class Allocator {
  private resizeGen = new Map<string, number>();
  private bootGen = new Map<string, number>();
  private startTasks = new Map<string, AbortController>();
  /** Per pool, how the current resize takes nodes away (kept in memory only). */
  private deallocation = new Map<string, NodeDeallocation>();
  private ipCounter = 4;

  constructor(
    private readonly rt: RuntimeContext,
    private readonly hooks: AllocatorHooks,
  ) {}

  private bump(map: Map<string, number>, k: string): number {
    const g = (map.get(k) ?? 0) + 1;
    map.set(k, g);
    return g;
  }

  // ---- pool sizing ----

  /** Starts (or restarts) a resize towards the pool's targets. */
  beginResize(rec: PoolRecord, deallocation?: NodeDeallocation): void {
    const g = this.bump(this.resizeGen, key(rec.pool.id));
    if (deallocation) this.deallocation.set(key(rec.pool.id), deallocation);
    setAllocation(rec.pool, 'resizing');
    delete rec.pool.resizeErrors;
    this.rt.store.touchPool(rec);
    this.rt.timers.after(this.rt.options.allocationDelayMs, () => this.completeResize(rec, g));
  }

  private completeResize(rec: PoolRecord, g: number): void {
    const pool = rec.pool;
    if (this.resizeGen.get(key(pool.id)) !== g || this.rt.store.getPool(pool.id) !== rec) return;
    if (pool.state !== 'active') return;
    const errors: M.ResizeError[] = [];
    for (const dedicated of [true, false]) {
      const target = (dedicated ? pool.targetDedicatedNodes : pool.targetLowPriorityNodes) ?? 0;
      const existing = [...rec.nodes.values()].filter((n) => n.node.isDedicated === dedicated);
      if (target > existing.length) {
        const cores = coresOf(pool.vmSize);
        const quota = dedicated ? this.rt.options.coreQuota : this.rt.options.lowPriorityCoreQuota;
        const allowed = Math.floor((quota - this.coresInUse(dedicated, rec)) / cores);
        const grant = Math.min(target, Math.max(existing.length, allowed));
        if (grant < target) errors.push(quotaError(dedicated, quota, target * cores));
        for (let i = existing.length; i < grant; i++) this.createNode(rec, dedicated);
      } else if (target < existing.length) {
        const order = (n: NodeRecord) => ((n.node.runningTasksCount ?? 0) > 0 ? 1 : 0);
        const victims = existing
          .filter((n) => n.node.state !== 'leavingpool')
          .sort((a, b) => order(a) - order(b))
          .slice(0, existing.length - target);
        for (const v of victims) this.release(rec, v);
      }
    }
    this.settleWhenLeft(rec, g, errors);
  }

  /**
   * Takes a node out as the resize's deallocation option says: `requeue` and `terminate` at
   * once; `taskcompletion` and `retaineddata` once its running tasks end (leavingpool meanwhile:
   * no new task is scheduled there).
   */
  private release(rec: PoolRecord, n: NodeRecord): void {
    const option = this.deallocation.get(key(rec.pool.id)) ?? 'requeue';
    const busy = (n.node.runningTasksCount ?? 0) > 0;
    if (busy && (option === 'taskcompletion' || option === 'retaineddata')) {
      setState(n.node, 'leavingpool');
      this.rt.store.touchNode(n);
      return;
    }
    this.removeNode(rec, n, option === 'terminate' ? 'terminate' : 'requeue');
  }

  /** The pool stays `resizing` until every node leaving it has gone, as on Batch. */
  private settleWhenLeft(rec: PoolRecord, g: number, errors: M.ResizeError[]): void {
    if (this.resizeGen.get(key(rec.pool.id)) !== g || this.rt.store.getPool(rec.pool.id) !== rec) {
      return;
    }
    if (rec.pool.state !== 'active') return;
    const leaving = [...rec.nodes.values()].filter((n) => n.node.state === 'leavingpool');
    for (const n of leaving) {
      if ((n.node.runningTasksCount ?? 0) === 0) this.removeNode(rec, n, 'requeue');
    }
    if ([...rec.nodes.values()].some((n) => n.node.state === 'leavingpool')) {
      this.rt.timers.after(LEAVING_CHECK_MS, () => this.settleWhenLeft(rec, g, errors));
      return;
    }
    this.deallocation.delete(key(rec.pool.id));
    this.settle(rec, errors);
  }

  private settle(rec: PoolRecord, errors: M.ResizeError[]): void {
    const nodes = [...rec.nodes.values()];
    rec.pool.currentDedicatedNodes = nodes.filter((n) => n.node.isDedicated).length;
    rec.pool.currentLowPriorityNodes = nodes.filter((n) => !n.node.isDedicated).length;
    setAllocation(rec.pool, 'steady');
    if (errors.length > 0) rec.pool.resizeErrors = errors;
    else delete rec.pool.resizeErrors;
    this.rt.store.touchPool(rec);
  }

  private coresInUse(dedicated: boolean, except: PoolRecord): number {
    let total = 0;
    for (const p of this.rt.store.listPools()) {
      if (p === except) continue;
      const count = [...p.nodes.values()].filter((n) => n.node.isDedicated === dedicated).length;
      total += count * coresOf(p.pool.vmSize);
    }
    return total;
  }

  stopResize(rec: PoolRecord): void {
    if (rec.pool.allocationState !== 'resizing') return;
    const g = this.bump(this.resizeGen, key(rec.pool.id));
    setAllocation(rec.pool, 'stopping');
    this.rt.store.touchPool(rec);
    this.rt.timers.after(Math.min(this.rt.options.allocationDelayMs, 100), () => {
      if (this.resizeGen.get(key(rec.pool.id)) !== g || rec.pool.state !== 'active') return;
      this.settle(rec, [
        {
          code: 'ResizeStopped',
          message: 'Desired number of nodes could not be allocated due to a stop resize operation',
        },
      ]);
    });
  }

  /** Marks the pool deleting, takes every node away, and forgets the pool after a delay. */
  deletePool(rec: PoolRecord): void {
    this.bump(this.resizeGen, key(rec.pool.id));
    setState(rec.pool, 'deleting');
    for (const n of rec.nodes.values()) {
      this.takeDown(rec, n, 'requeue');
      setState(n.node, 'leavingpool');
    }
    this.rt.store.touchPool(rec);
    this.rt.timers.after(this.rt.options.deleteDelayMs, async () => {
      if (this.rt.store.getPool(rec.pool.id) !== rec) return;
      this.rt.store.removePool(rec.pool.id);
      await rm(poolRoot(this.rt.options.dataDir, rec.pool.id), { recursive: true, force: true });
    });
  }

  // ---- nodes ----

  private createNode(rec: PoolRecord, dedicated: boolean): void {
    const id = `tvmps_${randomBytes(32).toString('hex')}_${dedicated ? 'd' : 'p'}`;
    const n = this.ipCounter++;
    const now = new Date();
    const node: Node = {
      id,
      url: `${this.rt.serviceUrl()}/pools/${rec.pool.id}/nodes/${id}`,
      state: 'creating',
      schedulingState: 'enabled',
      stateTransitionTime: now,
      allocationTime: now,
      ipAddress: `10.0.${(n >> 8) & 255}.${n & 255}`,
      affinityId: `TVM:${id}`,
      vmSize: rec.pool.vmSize,
      totalTasksRun: 0,
      runningTasksCount: 0,
      runningTaskSlotsCount: 0,
      totalTasksSucceeded: 0,
      isDedicated: dedicated,
      startTask: rec.pool.startTask,
      nodeAgentInfo: { version: '1.11.0-emulator', lastUpdateTime: now },
      virtualMachineInfo: { imageReference: rec.pool.virtualMachineConfiguration?.imageReference },
    };
    this.boot(rec, this.rt.store.addNode(rec, node));
  }

  private removeNode(rec: PoolRecord, n: NodeRecord, loss: NodeLoss): void {
    this.takeDown(rec, n, loss);
    this.rt.store.removeNode(rec, n.node.id);
    void this.wipe(nodeRoot(this.rt.options.dataDir, rec.pool.id, n.node.id));
  }

  /**
   * Removes a node's local files. A failure (a process of the node still writing there) is
   * logged: it must not become an unhandled rejection, which would end the emulator.
   */
  private wipe(dir: string): Promise<void> {
    return rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch((err: unknown) => {
      this.rt.log(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** Stops everything on a node: boot timers, its start task, its tasks (back to active). */
  private takeDown(rec: PoolRecord, n: NodeRecord, loss: NodeLoss): void {
    const k = nodeKey(rec.pool.id, n.node.id);
    this.bump(this.bootGen, k);
    this.startTasks.get(k)?.abort();
    this.startTasks.delete(k);
    this.hooks.nodeLost(rec, n, loss);
  }

  /** Low-priority preemption: tasks requeued, local data lost, the node comes back later. */
  preempt(rec: PoolRecord, n: NodeRecord): void {
    this.takeDown(rec, n, 'preempt');
    setState(n.node, 'preempted');
    delete n.node.startTaskInfo;
    n.node.runningTasksCount = 0;
    n.node.runningTaskSlotsCount = 0;
    n.node.recentTasks = [];
    this.rt.store.touchNode(n);
    const g = this.bootGen.get(nodeKey(rec.pool.id, n.node.id));
    const wiped = this.wipe(nodeRoot(this.rt.options.dataDir, rec.pool.id, n.node.id));
    this.rt.timers.after(this.rt.options.allocationDelayMs, async () => {
      // Booting recreates the node's directories: only once the old ones are gone.
      await wiped;
      if (this.bootGen.get(nodeKey(rec.pool.id, n.node.id)) !== g) return;
      if (rec.nodes.get(key(n.node.id)) !== n || rec.pool.state !== 'active') return;
      this.boot(rec, n);
    });
  }

  /** creating → starting → start task → idle; also a reboot after an emulator restart. */
  boot(rec: PoolRecord, n: NodeRecord): void {
    const k = nodeKey(rec.pool.id, n.node.id);
    const g = this.bump(this.bootGen, k);
    const current = () => this.bootGen.get(k) === g && rec.nodes.get(key(n.node.id)) === n;
    setState(n.node, 'creating');
    n.node.runningTasksCount = 0;
    n.node.runningTaskSlotsCount = 0;
    n.node.recentTasks = [];
    delete n.node.startTaskInfo;
    this.rt.store.touchNode(n);
    const delay = this.rt.options.nodeStartDelayMs;
    this.rt.timers.after(delay, async () => {
      if (!current()) return;
      const root = nodeRoot(this.rt.options.dataDir, rec.pool.id, n.node.id);
      await prepareNodeDirs(this.rt.options.dataDir, root, NODE_SUBDIRS, this.rt.users);
      if (!current()) return;
      setState(n.node, 'starting');
      n.node.lastBootTime = new Date();
      this.rt.store.touchNode(n);
      this.rt.timers.after(delay, () => {
        if (current()) this.afterBoot(rec, n, current);
      });
    });
  }

  private afterBoot(rec: PoolRecord, n: NodeRecord, current: () => boolean): void {
    const startTask = rec.pool.startTask;
    if (!startTask) {
      setState(n.node, 'idle');
      this.rt.store.touchNode(n);
      this.hooks.nodeReady();
      return;
    }
    const waitForSuccess = startTask.waitForSuccess ?? true;
    setState(n.node, waitForSuccess ? 'waitingforstarttask' : 'idle');
    this.rt.store.touchNode(n);
    if (!waitForSuccess) this.hooks.nodeReady();
    this.runStartTask(rec, n, startTask, waitForSuccess, current).catch((err: unknown) =>
      this.rt.log(`start task on ${n.node.id} failed internally: ${String(err)}`),
    );
  }

  private async runStartTask(
    rec: PoolRecord,
    n: NodeRecord,
    startTask: M.StartTask,
    waitForSuccess: boolean,
    current: () => boolean,
  ): Promise<void> {
    const k = nodeKey(rec.pool.id, n.node.id);
    const abort = new AbortController();
    this.startTasks.set(k, abort);
    const root = nodeRoot(this.rt.options.dataDir, rec.pool.id, n.node.id);
    const dirs = startTaskDirs(root);
    const identity = taskIdentity(rec.pool, startTask.userIdentity, this.rt.users, root);
    const maxRetries = startTask.maxTaskRetryCount ?? 0;
    let info: M.StartTaskInformation = { state: 'running', startTime: new Date(), retryCount: 0 };
    for (let attempt = 0; ; attempt++) {
      info = { ...info, state: 'running', startTime: new Date(), retryCount: attempt };
      if (attempt > 0) info.lastRetryTime = info.startTime;
      n.node.startTaskInfo = info;
      this.rt.store.touchNode(n);
      const outcome = await runAttempt({
        processes: this.rt.processes,
        commandLine: startTask.commandLine,
        resourceFiles: startTask.resourceFiles,
        dirs,
        nodeRoot: root,
        identity,
        env: taskEnvironment({
          image: this.rt.image,
          accountName: this.rt.options.accountName,
          accountUrl: this.rt.serviceUrl(),
          pool: rec.pool,
          nodeId: n.node.id,
          nodeRoot: root,
          isDedicated: n.node.isDedicated ?? true,
          dirs,
          taskId: 'starttask',
          identity,
          settings: [startTask.environmentSettings],
        }),
        wallClockMs: undefined,
        signal: abort.signal,
      });
      if (!current() || outcome.kind === 'aborted') return;
      const retry = maxRetries === -1 || attempt < maxRetries;
      if (outcome.kind === 'exited' && outcome.exitCode !== 0 && retry) continue;
      const failureInfo =
        outcome.kind === 'failed'
          ? outcome.info
          : outcome.exitCode !== 0
            ? userError(
                'FailureExitCode',
                'The task exited with an exit code representing a failure',
              )
            : undefined;
      const exitCode = outcome.kind === 'exited' ? outcome.exitCode : outcome.exitCode;
      n.node.startTaskInfo = {
        ...info,
        state: 'completed',
        endTime: new Date(),
        exitCode,
        result: failureInfo ? 'failure' : 'success',
        failureInfo,
      };
      break;
    }
    this.startTasks.delete(k);
    if (waitForSuccess) {
      setState(n.node, n.node.startTaskInfo.result === 'success' ? 'idle' : 'starttaskfailed');
    }
    this.rt.store.touchNode(n);
    if (n.node.state === 'idle') this.hooks.nodeReady();
  }

  // ---- restart ----

  /** After a restart: nodes reboot (their tasks were requeued), pending resizes and deletes resume. */
  recover(): void {
    for (const rec of this.rt.store.listPools()) {
      if (rec.pool.state === 'deleting') {
        this.deletePool(rec);
        continue;
      }
      for (const n of rec.nodes.values()) this.boot(rec, n);
      if (rec.pool.allocationState !== 'steady') this.beginResize(rec);
    }
  }

  /** Aborts start tasks without touching state (shutdown keeps state as it was). */
  abortAll(): void {
    for (const a of this.startTasks.values()) a.abort();
    this.startTasks.clear();
    this.resizeGen.clear();
    this.bootGen.clear();
  }
}

function setAllocation(pool: PoolRecord['pool'], state: M.AllocationState): void {
  pool.allocationState = state;
  pool.allocationStateTransitionTime = new Date();
}

function quotaError(dedicated: boolean, quota: number, requested: number): M.ResizeError {
  return {
    code: dedicated ? 'AccountCoreQuotaReached' : 'AccountLowPriorityCoreQuotaReached',
    message: dedicated
      ? 'The specified account has reached VM core quota'
      : 'The specified account has reached VM low priority core quota',
    values: [
      { name: 'CoreQuota', value: String(quota) },
      { name: 'RequestedCores', value: String(requested) },
    ],
  };
}
