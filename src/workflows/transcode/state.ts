// The run's state: one plain object, carried whole by continue-as-new, so a new field is one
// edit here. Everything else a step needs is derived from it.
import {
  emptyCounts,
  firstPoolPollIntervalMs,
  type InputFile,
  type ManifestRef,
  type Progress,
  type RunBlobRef,
  type TaskPollObservation,
  type TaskRetryState,
  type TranscodeInput,
  type TranscodePlan,
  type TranscodeResult,
} from '../../transcode';

/** Where the next run of a continue-as-new chain picks up. */
export type ResumePoint = 'start' | 'pool-wait' | 'task-wait';

/** The workflow's own signature: a continued run receives the state as its second argument. */
export type ResumableTranscodeWorkflow = (
  input: TranscodeInput,
  resumed?: RunState,
) => Promise<TranscodeResult>;

export type CleanupDecisionRecord = NonNullable<Progress['cleanup']['decision']>;

export interface RunState {
  plan: TranscodePlan;
  resumeAt: ResumePoint;
  /** The inputs of runs started before the manifest; empty when `manifest` is set. */
  files: InputFile[];
  /** The inputs as a blob (the claim check): the steps read it, history carries only this. */
  manifest?: ManifestRef;
  progress: Progress;
  /** Resources this run attempted to create: cleanup checks ownership and tolerates absence. */
  created: { inputContainer: boolean; pool: boolean; job: boolean };
  taskPoll: { intervalMs: number; last?: TaskPollObservation; retries?: TaskRetryState };
  poolPollIntervalMs: number;
  startedAtMs: number;
  phaseStartedAtMs: number;
  cleanupDecision?: CleanupDecisionRecord;
  /** Nodes seen in the pool, by id, for node-seconds (runs from before it have none). */
  nodesSeen?: Record<string, NodeSighting>;
  /** When the nodes were last listed (workflow time). */
  nodesListedAtMs?: number;
  /** The running task count the pool was last fitted to while the task watch ran. */
  fittedAtRunning?: number;
  /** The node targets this run last set on its pool (absent: as the plan said). */
  poolTargets?: { dedicated: number; lowPriority: number };
  /** Every task was added asking Batch to upload its output with its record (addTasks). */
  recordsOnUpload?: boolean;
  /** Where the upload published its progress for the tasks added beside it (deleted at the end). */
  uploadProgress?: RunBlobRef;
  /** The outputs the selection reused, listed for a download of every output (deleted at the end). */
  reusedList?: ManifestRef;
}

/** One node of the pool as the run saw it: its priority, from when and until when. */
export interface NodeSighting {
  dedicated: boolean;
  fromMs: number;
  lastSeenMs: number;
  preempted?: boolean;
}

export function newRunState(plan: TranscodePlan, nowMs: number): RunState {
  return {
    plan,
    resumeAt: 'start',
    files: [],
    created: { inputContainer: false, pool: false, job: false },
    taskPoll: { intervalMs: plan.polling.minIntervalMs },
    poolPollIntervalMs: firstPoolPollIntervalMs(plan.polling),
    startedAtMs: nowMs,
    phaseStartedAtMs: nowMs,
    progress: {
      workflowId: plan.workflowId,
      phase: 'validating',
      status: 'running',
      files: 0,
      inputBytes: 0,
      pool: { id: plan.pool.id, created: false, reused: plan.pool.reuse, nodeStates: {} },
      job: { id: plan.jobId, created: false, terminated: false },
      tasks: { total: 0, added: 0, counts: emptyCounts() },
      failures: [],
      unfinishedTasks: [],
      phaseMs: {},
      startedAt: new Date(nowMs).toISOString(),
      updatedAt: new Date(nowMs).toISOString(),
      polls: 0,
      continuedAsNew: 0,
      cleanup: { policy: plan.cleanup.policy, deleted: [], kept: [] },
    },
  };
}
