import type { BatchServiceModels as M } from '@azure/batch';

export type Pool = M.CloudPool & { id: string };
export type Job = M.CloudJob & { id: string };
export type Task = M.CloudTask & { id: string };
export type Node = M.ComputeNode & { id: string };

export interface PoolRecord {
  /** Creation order; lists and paging follow it. */
  seq: number;
  pool: Pool;
  nodes: Map<string, NodeRecord>;
}

export interface NodeRecord {
  seq: number;
  poolId: string;
  node: Node;
}

export interface TaskRecord {
  seq: number;
  task: Task;
}

export interface Counts {
  active: number;
  running: number;
  completed: number;
  succeeded: number;
  failed: number;
}

export interface JobRecord {
  seq: number;
  job: Job;
  tasks: Map<string, TaskRecord>;
  /** Kept in step with every task change so taskcounts is O(1). */
  counts: Counts;
  slotCounts: Counts;
  /** Active tasks in the order they became active: the scheduling queue. */
  active: Set<string>;
}

export interface CreatedCounts {
  pools: number;
  jobs: number;
  tasks: number;
}

/** What the handlers and the runtime need from state; persistence hides behind it. */
export interface BatchStore {
  readonly created: CreatedCounts;

  getPool(id: string): PoolRecord | undefined;
  listPools(): PoolRecord[];
  addPool(pool: Pool): PoolRecord;
  removePool(id: string): void;
  /** Records a change to a pool (new ETag and Last-Modified). */
  touchPool(rec: PoolRecord): void;

  addNode(pool: PoolRecord, node: Node): NodeRecord;
  removeNode(pool: PoolRecord, nodeId: string): void;
  touchNode(rec: NodeRecord): void;

  getJob(id: string): JobRecord | undefined;
  listJobs(): JobRecord[];
  addJob(job: Job): JobRecord;
  removeJob(id: string): void;
  touchJob(rec: JobRecord): void;

  getTask(job: JobRecord, taskId: string): TaskRecord | undefined;
  addTask(job: JobRecord, task: Task): TaskRecord;
  /** Every task change goes through here so counts and the active queue stay exact. */
  updateTask(job: JobRecord, rec: TaskRecord, mutate: (task: Task) => void): void;
  removeTask(job: JobRecord, taskId: string): void;

  /** Marks state as changed without a model change (persistence only). */
  markDirty(): void;
  clear(): void;
}

/** Batch ids are case-preserving but case-insensitive. */
export const key = (id: string): string => id.toLowerCase();
