// The emulator's store in memory, with a journal of every change (replayed on start) and
// snapshots for compaction. Over 300 lines on purpose: one method per record operation, and
// each one must journal exactly what it changed.
import { newETag } from '../util/etag';
import { TaskSharing } from './task-sharing';
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

/**
 * One journal line: a record's whole new state, or its removal. A pool carries its nodes; a job
 * line replaces the job's model and keeps its tasks, `job-` removes the job with its tasks.
 */
export type JournalEntry =
  | { t: 'clear' }
  | { t: 'meta'; seq: number; created: CreatedCounts }
  | { t: 'pool'; seq: number; pool: Pool; nodes: NodeRecord[] }
  | { t: 'pool-'; id: string }
  | { t: 'job'; seq: number; job: Job }
  | { t: 'job-'; id: string }
  | { t: 'task'; job: string; rec: TaskRecord }
  | { t: 'task-'; job: string; id: string };

/** What a snapshot plus its journal entries amount to (entries of other kinds are skipped). */
export function replayJournal(
  base: StoreSnapshot | undefined,
  entries: readonly { t?: unknown }[],
): StoreSnapshot {
  let seq = base?.seq ?? 0;
  let created: CreatedCounts = { ...(base?.created ?? { pools: 0, jobs: 0, tasks: 0 }) };
  const pools = new Map((base?.pools ?? []).map((p) => [key(p.pool.id), p]));
  type JobEntry = { seq: number; job: Job; tasks: Map<string, TaskRecord> };
  const jobs = new Map<string, JobEntry>();
  for (const j of base?.jobs ?? []) {
    jobs.set(key(j.job.id), {
      seq: j.seq,
      job: j.job,
      tasks: new Map(j.tasks.map((t) => [key(t.task.id), t])),
    });
  }
  for (const raw of entries) {
    const e = raw as JournalEntry;
    switch (e.t) {
      case 'clear':
        pools.clear();
        jobs.clear();
        created = { pools: 0, jobs: 0, tasks: 0 };
        break;
      case 'meta':
        seq = e.seq;
        created = { ...e.created };
        break;
      case 'pool':
        pools.set(key(e.pool.id), { seq: e.seq, pool: e.pool, nodes: e.nodes });
        break;
      case 'pool-':
        pools.delete(key(e.id));
        break;
      case 'job': {
        const existing = jobs.get(key(e.job.id));
        if (existing) {
          existing.seq = e.seq;
          existing.job = e.job;
        } else jobs.set(key(e.job.id), { seq: e.seq, job: e.job, tasks: new Map() });
        break;
      }
      case 'job-':
        jobs.delete(key(e.id));
        break;
      case 'task':
        jobs.get(e.job)?.tasks.set(key(e.rec.task.id), e.rec);
        break;
      case 'task-':
        jobs.get(e.job)?.tasks.delete(key(e.id));
        break;
    }
  }
  return {
    seq,
    created,
    pools: [...pools.values()],
    jobs: [...jobs.values()].map((j) => ({ seq: j.seq, job: j.job, tasks: [...j.tasks.values()] })),
  };
}

const zero = (): Counts => ({ active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 });

let lastNow: Date | undefined;

/** Now, one Date per millisecond: the many records changed in one are then held once. */
function sharedNow(): Date {
  const ms = Date.now();
  if (lastNow?.getTime() !== ms) lastNow = new Date(ms);
  return lastNow;
}

function touch(model: { eTag?: string; lastModified?: Date }): void {
  const now = sharedNow();
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

/**
 * In-memory state with O(1) task counts; `onChange` lets persistence follow every change, and
 * `changes()` names the records changed since its last call, for the journal.
 */
export class MemoryStore implements BatchStore {
  private pools = new Map<string, PoolRecord>();
  private jobs = new Map<string, JobRecord>();
  private seq = 0;
  /** What each job's tasks share; weak so a removed job's goes with it. */
  private sharing = new WeakMap<JobRecord, TaskSharing>();
  created: CreatedCounts = { pools: 0, jobs: 0, tasks: 0 };

  // Changed since the last changes(), by key (the record's absence means it was removed).
  private cleared = false;
  private changedPools = new Map<string, string>();
  private changedJobs = new Map<string, { removed: boolean }>();
  private changedTasks = new Map<string, Map<string, string>>();
  private changedMeta = false;

  constructor(private readonly onChange: () => void = () => undefined) {}

  private poolChanged(id: string) {
    this.changedPools.set(key(id), id);
    this.onChange();
  }
  private taskChanged(job: JobRecord, taskId: string) {
    const jk = key(job.job.id);
    let tasks = this.changedTasks.get(jk);
    if (!tasks) this.changedTasks.set(jk, (tasks = new Map<string, string>()));
    tasks.set(key(taskId), taskId);
    this.onChange();
  }

  /** Journal lines for every record changed since the last call, in an order that replays. */
  changes(): string {
    const out: string[] = [];
    const line = (e: JournalEntry) => out.push(JSON.stringify(e));
    if (this.cleared) line({ t: 'clear' });
    for (const [k, id] of this.changedPools) {
      const rec = this.pools.get(k);
      if (rec) line({ t: 'pool', seq: rec.seq, pool: rec.pool, nodes: [...rec.nodes.values()] });
      else line({ t: 'pool-', id });
    }
    for (const [k, { removed }] of this.changedJobs) {
      const rec = this.jobs.get(k);
      if (removed) line({ t: 'job-', id: k });
      if (rec) line({ t: 'job', seq: rec.seq, job: rec.job });
    }
    for (const [jk, tasks] of this.changedTasks) {
      const job = this.jobs.get(jk);
      if (!job) continue;
      for (const [tk, id] of tasks) {
        const rec = job.tasks.get(tk);
        if (rec) line({ t: 'task', job: jk, rec });
        else line({ t: 'task-', job: jk, id });
      }
    }
    if (this.changedMeta || out.length > 0) {
      line({ t: 'meta', seq: this.seq, created: this.created });
    }
    this.cleared = false;
    this.changedPools.clear();
    this.changedJobs.clear();
    this.changedTasks.clear();
    this.changedMeta = false;
    return out.length > 0 ? `${out.join('\n')}\n` : '';
  }

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
    this.poolChanged(pool.id);
    return rec;
  }
  removePool(id: string) {
    this.pools.delete(key(id));
    this.poolChanged(id);
  }
  touchPool(rec: PoolRecord) {
    touch(rec.pool);
    this.poolChanged(rec.pool.id);
  }

  addNode(pool: PoolRecord, node: Node) {
    const rec: NodeRecord = { seq: ++this.seq, poolId: pool.pool.id, node };
    pool.nodes.set(key(node.id), rec);
    this.poolChanged(pool.pool.id);
    return rec;
  }
  removeNode(pool: PoolRecord, nodeId: string) {
    pool.nodes.delete(key(nodeId));
    this.poolChanged(pool.pool.id);
  }
  touchNode(rec: NodeRecord) {
    this.poolChanged(rec.poolId);
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
    this.jobChanged(job.id, false);
    return rec;
  }
  removeJob(id: string) {
    this.jobs.delete(key(id));
    // Its tasks go with it: a `job-` line removes them.
    this.changedTasks.delete(key(id));
    this.jobChanged(id, true);
  }
  touchJob(rec: JobRecord) {
    touch(rec.job);
    this.jobChanged(rec.job.id, false);
  }
  private jobChanged(id: string, removed: boolean) {
    const k = key(id);
    const seen = this.changedJobs.get(k);
    this.changedJobs.set(k, { removed: removed || (seen?.removed ?? false) });
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
    this.taskChanged(job, task.id);
    return rec;
  }
  private share(job: JobRecord, task: Task, isNew: boolean) {
    let sharing = this.sharing.get(job);
    if (!sharing) this.sharing.set(job, (sharing = new TaskSharing()));
    sharing.share(task, isNew);
  }
  private insertTask(job: JobRecord, rec: TaskRecord) {
    this.share(job, rec.task, true);
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
    this.share(job, rec.task, false);
    count(job, rec.task, 1);
    const isActive = rec.task.state === 'active';
    if (wasActive && !isActive) job.active.delete(k);
    if (!wasActive && isActive) job.active.add(k);
    this.taskChanged(job, rec.task.id);
  }
  removeTask(job: JobRecord, taskId: string) {
    const rec = job.tasks.get(key(taskId));
    if (!rec) return;
    count(job, rec.task, -1);
    job.active.delete(key(taskId));
    job.tasks.delete(key(taskId));
    this.taskChanged(job, taskId);
  }

  markDirty() {
    // Nothing names the change: journal every record.
    for (const rec of this.pools.values()) this.changedPools.set(key(rec.pool.id), rec.pool.id);
    for (const rec of this.jobs.values()) {
      this.jobChanged(rec.job.id, false);
      for (const t of rec.tasks.values()) this.taskChanged(rec, t.task.id);
    }
    this.changedMeta = true;
    this.onChange();
  }

  clear() {
    this.pools.clear();
    this.jobs.clear();
    this.created = { pools: 0, jobs: 0, tasks: 0 };
    this.cleared = true;
    this.changedPools.clear();
    this.changedJobs.clear();
    this.changedTasks.clear();
    this.changedMeta = true;
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
    // What was just restored is what is on disk: nothing to journal.
    this.changes();
  }
}
