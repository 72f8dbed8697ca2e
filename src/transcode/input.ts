// The transcode workflow's input as a client sends it: every field optional but the source.
// Defaults live in defaults.ts; planTranscode (plan.ts) validates and fills them in.

/** A host id as it goes into a task queue name: what a hostname may hold. */
export const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/**
 * The task queue of the folder steps (inspect, upload, download) of runs whose folder is on
 * `hostId`: every worker polls the one of its own host beside the shared queue.
 */
export function hostTaskQueue(taskQueue: string, hostId: string): string {
  return `${taskQueue}@${hostId}`;
}

export type CleanupPolicy = 'ask' | 'always' | 'never';
export type CleanupDecision = 'delete' | 'keep';

export interface ImageSpec {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
  nodeAgentSkuId: string;
}

export interface TranscodeInput {
  /** Files to convert: a folder on the worker's machine, or blobs already uploaded. */
  input: {
    localDir?: string;
    /**
     * The host id (DURABLE_BATCH_HOST_ID, else hostname) of the machine that has `localDir`;
     * its workers read the folder and write `output.downloadDir`. Absent: any worker does.
     */
    inputHost?: string;
    /** An existing container holding the inputs (then never deleted by this workflow). */
    blobContainer?: string;
    blobPrefix?: string;
    /** Glob on file names (not paths): `*`, `?`, `[abc]`. Default: TUTORIAL_DEFAULTS.pattern. */
    pattern?: string;
  };
  output?: {
    /** Output extension without the dot. Default `mp3`. */
    extension?: string;
    /** Command run per file; `{input}` and `{output}` are replaced by safe local file names. */
    commandTemplate?: string;
    /** Download the outputs to this folder on the worker's machine. */
    downloadDir?: string;
    /** Output container; default derived from the workflow id. */
    container?: string;
  };
  pool?: {
    /** Default derived from the workflow id. */
    id?: string;
    /** Use this existing pool instead of creating one; it is never deleted. */
    existingPoolId?: string;
    vmSize?: string;
    dedicatedNodes?: number;
    lowPriorityNodes?: number;
    taskSlotsPerNode?: number;
    image?: Partial<ImageSpec>;
    startTaskCommand?: string;
    /** How long the pool may take to reach steady with a usable node. Default 20 min. */
    allocationTimeoutMinutes?: number;
  };
  job?: { id?: string };
  /** How long the tasks may run, as in the tutorial. Default 30 min. */
  timeoutMinutes?: number;
  /**
   * Convert every file, even one whose output is already stored with the record of the same
   * input and recipe (recipe.ts). Default false: such outputs are reused.
   */
  force?: boolean;
  /** When to give up on a run whose tasks fail, and how often Batch retries one. */
  failures?: {
    /** Stop once more tasks than this have failed (job terminated, cleanup per the policy). */
    maxFailedTasks?: number;
    /** The same as a share of the tasks, 0-100; with both, the lower limit applies. */
    maxFailedPercent?: number;
    /** Batch's own retries of a failed task (`maxTaskRetryCount`), -1 unlimited. Default 1. */
    taskRetries?: number;
  };
  cleanup?: {
    policy?: CleanupPolicy;
    /** With policy `ask`: how long to wait for `approveCleanup`. Default 60 min. */
    decisionTimeoutMinutes?: number;
    /** With policy `ask`: what happens when nobody decides. Default `delete`. */
    defaultDecision?: CleanupDecision;
    /**
     * Keep the pool's nodes while the decision is awaited. Default false: the pool is resized
     * to 0 nodes (kept for inspection, costing nothing).
     */
    keepNodesWhileWaiting?: boolean;
  };
  /** Prices per node-hour, for the run's estimated cost (none given: node-seconds only). */
  cost?: {
    dedicatedPerHour?: number;
    /** Spot / low-priority nodes. */
    spotPerHour?: number;
    /** Shown beside the amount. Default USD. */
    currency?: string;
  };
  polling?: {
    /** Shortest wait between two polls. Default 0.25 s. */
    minIntervalSeconds?: number;
    /** Longest wait between two polls. Default 15 s. */
    maxIntervalSeconds?: number;
    /**
     * Continue-as-new once a run's history has this many events (or when the server suggests
     * it). Default 400: a run stays under 500 events with room for the results and cleanup.
     */
    maxHistoryEvents?: number;
    /** Time limit of one Azure call before it is retried. Default 30 s. */
    callTimeoutSeconds?: number;
    /** A transfer or bulk add that stops heartbeating this long is retried elsewhere. Default 30 s. */
    heartbeatTimeoutSeconds?: number;
  };
}
