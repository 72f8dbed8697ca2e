import { newETag } from '../util/etag';
import {
  key,
  type BatchStore,
  type Counts,
  type CreatedCounts,
  type Job,
  type JobRecord,
  type Node,
  type NodeRecord,
  type Pool,
  type PoolRecord,
  type Task,
  type TaskRecord,
} from './types';

export interface StoreSnapshot {
  seq: number;
  created: CreatedCounts;
  pools: { seq: number; pool: Pool; nodes: NodeRecord[] }[];
  jobs: { seq: number; job: Job; tasks: TaskRecord[] }[];
}

const zero = (): Counts => ({ active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 });

function touch(model: { eTag?: string; lastModified?: Date }): void {
  const now = new Date();
  model.eTag = newETag(now.getTime());
  model.lastModified = now;
}

/** Adds (sign 1) or removes (sign -1) one task's share of its job's counters. */
function count(job: JobRecord, task: Task, sign: 1 | -1): void {
  const slots = task.requiredSlots ?? 1;
  const bump = (field: keyof Counts) => {
    job.counts[field] += sign;
    job.slotCounts[field] += sign * slots;
  };
  switch (task.state) {
    case 'active':
      bump('active');
      break;
    case 'preparing':
    case 'running':
      bump('running');
      break;
    case 'completed':
      bump('completed');
      if (task.executionInfo?.result === 'success') bump('succeeded');
      else bump('failed');
      break;
  }
}

/** In-memory state with O(1) task counts; `onChange` lets persistence follow every change. */
export class MemoryStore implements BatchStore {
  private pools = new Map<string, PoolRecord>();
  private jobs = new Map<string, JobRecord>();
  private seq = 0;
  created: CreatedCounts = { pools: 0, jobs: 0, tasks: 0 };

  constructor(private readonly onChange: () => void = () => undefined) {}

  getPool(id: string) {
    return this.pools.get(key(id));
  }
  listPools() {
    return [...this.pools.values()];
  }
  addPool(pool: Pool) {
    touch(pool);
    const rec: PoolRecord = { seq: ++this.seq, pool, nodes: new Map() };
    this.pools.set(key(pool.id), rec);
    this.created.pools++;
    this.onChange();
    return rec;
  }
  removePool(id: string) {
    this.pools.delete(key(id));
    this.onChange();
  }
  touchPool(rec: PoolRecord) {
    touch(rec.pool);
    this.onChange();
  }

  addNode(pool: PoolRecord, node: Node) {
    const rec: NodeRecord = { seq: ++this.seq, poolId: pool.pool.id, node };
    pool.nodes.set(key(node.id), rec);
    this.onChange();
    return rec;
  }
  removeNode(pool: PoolRecord, nodeId: string) {
    pool.nodes.delete(key(nodeId));
    this.onChange();
  }
  touchNode(_rec: NodeRecord) {
    this.onChange();
  }

  getJob(id: string) {
    return this.jobs.get(key(id));
  }
  listJobs() {
    return [...this.jobs.values()];
  }
  addJob(job: Job) {
    touch(job);
    const rec: JobRecord = {
      seq: ++this.seq,
      job,
      tasks: new Map(),
      counts: zero(),
      slotCounts: zero(),
      active: new Set(),
    };
    this.jobs.set(key(job.id), rec);
    this.created.jobs++;
    this.onChange();
    return rec;
  }
  removeJob(id: string) {
    this.jobs.delete(key(id));
    this.onChange();
  }
  touchJob(rec: JobRecord) {
    touch(rec.job);
    this.onChange();
  }

  getTask(job: JobRecord, taskId: string) {
    return job.tasks.get(key(taskId));
  }
  addTask(job: JobRecord, task: Task) {
    touch(task);
    const rec: TaskRecord = { seq: ++this.seq, task };
    this.insertTask(job, rec);
    this.created.tasks++;
    this.onChange();
    return rec;
  }
  private insertTask(job: JobRecord, rec: TaskRecord) {
    job.tasks.set(key(rec.task.id), rec);
    count(job, rec.task, 1);
    if (rec.task.state === 'active') job.active.add(key(rec.task.id));
  }
  updateTask(job: JobRecord, rec: TaskRecord, mutate: (task: Task) => void) {
    const k = key(rec.task.id);
    count(job, rec.task, -1);
    const wasActive = rec.task.state === 'active';
    mutate(rec.task);
    touch(rec.task);
    count(job, rec.task, 1);
    const isActive = rec.task.state === 'active';
    if (wasActive && !isActive) job.active.delete(k);
    if (!wasActive && isActive) job.active.add(k);
    this.onChange();
  }
  removeTask(job: JobRecord, taskId: string) {
    const rec = job.tasks.get(key(taskId));
    if (!rec) return;
    count(job, rec.task, -1);
    job.active.delete(key(taskId));
    job.tasks.delete(key(taskId));
    this.onChange();
  }

  markDirty() {
    this.onChange();
  }

  clear() {
    this.pools.clear();
    this.jobs.clear();
    this.created = { pools: 0, jobs: 0, tasks: 0 };
    this.onChange();
  }

  snapshot(): StoreSnapshot {
    return {
      seq: this.seq,
      created: { ...this.created },
      pools: [...this.pools.values()].map((p) => ({
        seq: p.seq,
        pool: p.pool,
        nodes: [...p.nodes.values()],
      })),
      jobs: [...this.jobs.values()].map((j) => ({
        seq: j.seq,
        job: j.job,
        tasks: [...j.tasks.values()],
      })),
    };
  }

  restore(s: StoreSnapshot) {
    this.clear();
    this.seq = s.seq;
    this.created = { ...s.created };
    for (const p of s.pools) {
      const rec: PoolRecord = { seq: p.seq, pool: p.pool, nodes: new Map() };
      for (const n of p.nodes) rec.nodes.set(key(n.node.id), n);
      this.pools.set(key(p.pool.id), rec);
    }
    for (const j of s.jobs) {
      const rec: JobRecord = {
        seq: j.seq,
        job: j.job,
        tasks: new Map(),
        counts: zero(),
        slotCounts: zero(),
        active: new Set(),
      };
      for (const t of j.tasks) this.insertTask(rec, t);
      this.jobs.set(key(j.job.id), rec);
    }
  }
}
