// One run in progress: its state, its activity stubs, and the bookkeeping every step shares
// (phase clock, Web UI details, search attributes).
import { log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  batchJobIdKey,
  batchPoolIdKey,
  planTasks,
  transcodePhaseKey,
  type Phase,
  type TaskPlan,
  type TranscodeInput,
} from '../../transcode';
import { activityStubs, type ActivityStubs } from './stubs';
import { renderDetails } from './details';
import type { RunState } from './state';

export class Run {
  readonly quick: ActivityStubs['quick'];
  readonly long: ActivityStubs['long'];
  private taskPlans?: TaskPlan[];

  constructor(
    readonly input: TranscodeInput,
    readonly state: RunState,
  ) {
    ({ quick: this.quick, long: this.long } = activityStubs(state.plan));
  }

  get plan() {
    return this.state.plan;
  }

  get progress() {
    return this.state.progress;
  }

  /** One task per input file, derived (not carried: the files are). */
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
