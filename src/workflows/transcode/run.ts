// One run in progress: its state, its activity stubs, and the bookkeeping every step shares
// (phase clock, Web UI details, search attributes).
import {
  ActivityFailure,
  log,
  patched,
  setCurrentDetails,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  batchJobIdKey,
  batchPoolIdKey,
  hostTaskQueue,
  planTasks,
  transcodePhaseKey,
  type Phase,
  type TaskPlan,
  type TranscodeInput,
} from '../../transcode';
import { activityStubs, type ActivityStubs, type StubKind } from './stubs';
import { renderDetails } from './details';
import type { RunState } from './state';

/** Longest wait for the folder's host before saying so again (history stays small). */
const MAX_HOST_WAIT_MS = 10 * 60_000;

function isScheduleToStartTimeout(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

export class Run {
  readonly quick: ActivityStubs['quick'];
  private readonly quickSettled: ActivityStubs['quickSettled'];
  readonly long: ActivityStubs['long'];
  private readonly longSettled: ActivityStubs['longSettled'];
  private readonly onQueue: ActivityStubs['onQueue'];
  private taskPlans?: TaskPlan[];
  /** This execution's requests that create the pool, the job and the containers, and its upload: cleanup waits for each. */
  readonly creations: {
    pool?: Promise<unknown>;
    job?: Promise<unknown>;
    containers?: Promise<unknown>;
    /** The upload: it writes the inputs and, beside the tasks, its progress. */
    upload?: Promise<unknown>;
  } = {};

  constructor(
    readonly input: TranscodeInput,
    readonly state: RunState,
  ) {
    ({
      quick: this.quick,
      quickSettled: this.quickSettled,
      long: this.long,
      longSettled: this.longSettled,
      onQueue: this.onQueue,
    } = activityStubs(state.plan));
  }

  /**
   * A step that reads the input folder or writes the download folder. With `input.inputHost`
   * it runs on that host's queue, and while no worker there picks it up the run says so
   * (progress, Web UI details) and asks again, durably, however long the host is away.
   * Without it (runs started without the field, and every old history) it runs on any worker,
   * exactly as before.
   */
  async onInputHost<T>(
    kind: StubKind,
    summary: string,
    purpose: string,
    step: (activities: Activities) => Promise<T>,
  ): Promise<T> {
    const host = this.input.input.inputHost;
    if (host === undefined) return step(this[kind](summary));
    const taskQueue = hostTaskQueue(workflowInfo().taskQueue, host);
    // Long enough for a busy host to start it; doubling, so a long absence adds few events.
    let waitMs = 2 * this.plan.polling.callTimeoutMs;
    for (;;) {
      try {
        const result = await step(this.onQueue(taskQueue, kind, summary, waitMs));
        if (this.progress.waitingFor !== undefined) {
          delete this.progress.waitingFor;
          this.touch();
        }
        return result;
      } catch (err) {
        if (!isScheduleToStartTimeout(err)) throw err;
        this.progress.waitingFor = `a worker on host ${host} to ${purpose} (task queue ${taskQueue})`;
        this.touch();
        log.warn('waiting for the input host', { host, taskQueue, waitMs });
        waitMs = Math.min(2 * waitMs, MAX_HOST_WAIT_MS);
      }
    }
  }

  /**
   * Stubs for a request that creates something: once cancelled, it settles only when its
   * attempt has ended, so cleanup never deletes ahead of it (older runs: at once, as before).
   */
  creating(summary: string, patchId = 'creations-settle'): Activities {
    return patched(patchId) ? this.quickSettled(summary) : this.quick(summary);
  }

  get plan() {
    return this.state.plan;
  }

  get progress() {
    return this.state.progress;
  }

  /** How many tasks the run has: one per input, whether in the manifest or the state. */
  get taskCount(): number {
    return this.state.manifest?.count ?? this.state.files.length;
  }

  /**
   * One task per input file, derived (not carried: the files are). Runs from before the
   * manifest only: with a manifest the activities read the tasks from it.
   */
  get tasks(): TaskPlan[] {
    this.taskPlans ??= planTasks(this.state.files, this.plan.extension, this.plan.commandTemplate);
    return this.taskPlans;
  }

  enter(phase: Phase): void {
    const now = Date.now();
    const previous = this.progress.phase;
    this.progress.phaseMs[previous] =
      (this.progress.phaseMs[previous] ?? 0) + (now - this.state.phaseStartedAtMs);
    this.state.phaseStartedAtMs = now;
    this.progress.phase = phase;
    this.touch();
    if (previous !== phase) {
      this.publish();
      log.info('phase', { phase });
    }
  }

  touch(): void {
    this.progress.updatedAt = new Date().toISOString();
    setCurrentDetails(renderDetails(this.progress));
  }

  /** Search attributes, only when the starter set them (so the server has them registered). */
  private publish(): void {
    if (workflowInfo().typedSearchAttributes.get(transcodePhaseKey) === undefined) return;
    upsertSearchAttributes([
      { key: transcodePhaseKey, value: this.progress.phase },
      { key: batchPoolIdKey, value: this.plan.pool.id },
      { key: batchJobIdKey, value: this.plan.jobId },
    ]);
  }
}
