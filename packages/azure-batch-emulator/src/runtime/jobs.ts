import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobRecord } from '../store/types';
import { durationMs, MAX_TIMER_MS } from '../util/duration';
import { moveState, type RuntimeContext } from './context';
import { userError } from './failure';
import { nodeRoot } from './node-layout';
import type { Scheduler } from './scheduler';

export const taskEnded = () => userError('TaskEnded', 'Task Was Ended by User Request');

/**
 * Job state changes: terminate (running tasks end, active ones stay active but never run),
 * onAllTasksComplete, the job's maxWallClockTime, and asynchronous delete.
 */
export class JobLifecycle {
  private scheduler!: Scheduler;

  constructor(private readonly rt: RuntimeContext) {}

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
  }

  added(job: JobRecord): void {
    this.armWallClock(job);
    setImmediate(() => this.checkCompletion(job));
  }

  private armWallClock(job: JobRecord): void {
    const limit = durationMs(job.job.constraints?.maxWallClockTime);
    if (limit === undefined || limit >= MAX_TIMER_MS) return;
    const elapsed = Date.now() - (job.job.creationTime?.getTime() ?? Date.now());
    this.rt.timers.after(Math.max(0, limit - elapsed), () => {
      if (this.rt.store.getJob(job.job.id) === job && job.job.state === 'active') {
        this.terminate(job, 'MaxWallClockTimeExpiry');
      }
    });
  }

  /**
   * onAllTasksComplete=terminatejob ends the job once nothing is active or running — with no
   * tasks at all too, which is why Batch advises setting it after the tasks are added.
   */
  checkCompletion(job: JobRecord): void {
    if (this.rt.store.getJob(job.job.id) !== job) return;
    if (job.job.state !== 'active' || job.job.onAllTasksComplete !== 'terminatejob') return;
    if (job.counts.active === 0 && job.counts.running === 0)
      this.terminate(job, 'AllTasksComplete');
  }

  terminate(job: JobRecord, reason: string): void {
    moveState(job.job, 'terminating');
    job.job.executionInfo = { ...job.job.executionInfo!, terminateReason: reason };
    this.rt.store.touchJob(job);
    for (const { rec } of this.scheduler.onJob(job.job.id)) {
      this.scheduler.evict(job, rec, { kind: 'complete', info: taskEnded() });
    }
    // Batch shows `terminating` for a moment before `completed`.
    this.rt.timers.after(Math.min(this.rt.options.deleteDelayMs, 100), () => {
      if (this.rt.store.getJob(job.job.id) !== job || job.job.state !== 'terminating') return;
      moveState(job.job, 'completed');
      job.job.executionInfo = { ...job.job.executionInfo!, endTime: new Date() };
      this.rt.store.touchJob(job);
    });
  }

  delete(job: JobRecord): void {
    moveState(job.job, 'deleting');
    this.rt.store.touchJob(job);
    for (const { rec } of this.scheduler.onJob(job.job.id)) {
      this.scheduler.evict(job, rec, { kind: 'discard' });
    }
    this.rt.timers.after(this.rt.options.deleteDelayMs, async () => {
      if (this.rt.store.getJob(job.job.id) !== job) return;
      this.rt.store.removeJob(job.job.id);
      await this.removeFiles(job.job.id);
    });
  }

  private async removeFiles(jobId: string): Promise<void> {
    for (const pool of this.rt.store.listPools()) {
      for (const n of pool.nodes.values()) {
        const dir = join(
          nodeRoot(this.rt.options.dataDir, pool.pool.id, n.node.id),
          'workitems',
          jobId,
        );
        await rm(dir, { recursive: true, force: true });
      }
    }
  }

  /** After a restart: finish terminations and deletions, re-arm wall clocks. */
  recover(): void {
    for (const job of this.rt.store.listJobs()) {
      if (job.job.state === 'deleting') this.delete(job);
      else if (job.job.state === 'terminating') {
        this.terminate(job, job.job.executionInfo?.terminateReason ?? 'UserTerminate');
      } else if (job.job.state === 'active') this.added(job);
    }
  }
}
