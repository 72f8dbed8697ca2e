// What the `progress` query answers and what continue-as-new carries: phase, counts,
// failures, resource ids and time per phase.

/** The phases of a run, in the order a run passes through them. */
export const PHASES = [
  'validating',
  'preparing',
  'uploading',
  'creating-job',
  'adding-tasks',
  'waiting-for-pool',
  'running',
  'collecting',
  'downloading',
  'awaiting-cleanup-decision',
  'cleaning-up',
  'done',
] as const;

export type Phase = (typeof PHASES)[number];

export interface TaskCounts {
  active: number;
  running: number;
  completed: number;
  succeeded: number;
  failed: number;
}

export interface FailedTask {
  taskId: string;
  inputBlob: string;
  exitCode?: number;
  failureCode?: string;
  failureMessage?: string;
  stderrTail?: string;
  /** The output container's folder that keeps the task's stdout.txt and stderr.txt (absent: none). */
  logs?: string;
}

/** How a failed task's stderr tail begins when neither its kept copy nor its node had it. */
export const STDERR_UNAVAILABLE = '(stderr.txt not available: ';

/**
 * Why a task failed, in a line: for a command that exited with a failure, the last line of its
 * stderr (the program's own words; Batch's message only says that it exited so); otherwise
 * Batch's message (a resource file that could not be downloaded, an output not uploaded).
 */
export function failureReason(failed: FailedTask): string {
  const lastStderrLine = failed.stderrTail
    ?.split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith(STDERR_UNAVAILABLE))
    .pop();
  const exited = failed.failureCode === undefined || failed.failureCode === 'FailureExitCode';
  return (exited ? lastStderrLine : undefined) ?? failed.failureMessage ?? lastStderrLine ?? '';
}

export interface PoolProgress {
  id: string;
  created: boolean;
  reused: boolean;
  allocationState?: string;
  nodeStates: Record<string, number>;
  /** Node targets this run last set (the pool fitted to the work, shrunk, or 0 while waiting). */
  targetNodes?: number;
}

/**
 * Node time of a run, from each node's allocation to the last time it was seen in the pool,
 * split by priority; with prices given, what it cost.
 */
export interface RunUsage {
  dedicatedNodeSeconds: number;
  spotNodeSeconds: number;
  /** Nodes seen preempted (Spot / low-priority): their running tasks were requeued. */
  preemptedNodes: number;
  cost?: { amount: number; currency: string };
  /** When the nodes were last listed (ISO). */
  asOf: string;
}

/** What the inspection of a folder left out, and the links it followed. */
export interface InspectionSummary {
  entries: number;
  folders: number;
  notMatching: number;
  brokenLinks: string[];
  /** Sockets, devices, pipes. */
  otherEntries: number;
  linksFollowed: number;
  /** Links to files outside the folder: followed, and named here (`name → target`). */
  linksOutside: string[];
}

/** An inspection of a folder of `entries` entries that found `found`, and nothing else. */
export function inspectionOf(
  entries: number,
  found: Partial<Omit<InspectionSummary, 'entries'>> = {},
): InspectionSummary {
  return {
    entries,
    folders: 0,
    notMatching: 0,
    brokenLinks: [],
    otherEntries: 0,
    linksFollowed: 0,
    linksOutside: [],
    ...found,
  };
}

/**
 * What the inspection found besides the files to convert, in words (`7 entries; left out: 1 of
 * other names, 1 folder(s); 1 link(s) followed`); undefined when nothing was left out or
 * followed.
 */
export function inspectionText(seen: InspectionSummary): string | undefined {
  const leftOut = [
    seen.notMatching ? `${seen.notMatching} of other names` : '',
    seen.folders ? `${seen.folders} folder(s) (not searched)` : '',
    seen.brokenLinks.length
      ? `${seen.brokenLinks.length} broken link(s) (${seen.brokenLinks.slice(0, 5).join(', ')})`
      : '',
    seen.otherEntries ? `${seen.otherEntries} other (sockets, devices, pipes)` : '',
  ].filter(Boolean);
  if (leftOut.length === 0 && seen.linksFollowed === 0) return undefined;
  return (
    `${seen.entries} entries` +
    (leftOut.length ? `; left out: ${leftOut.join(', ')}` : '') +
    (seen.linksFollowed ? `; ${seen.linksFollowed} link(s) followed` : '') +
    (seen.linksOutside.length
      ? ` (out of the folder: ${seen.linksOutside.slice(0, 5).join(', ')})`
      : '')
  );
}

/** How a run ended. */
export type RunStatus = 'succeeded' | 'partially-failed' | 'failed' | 'cancelled' | 'timed-out';

export interface Progress {
  workflowId: string;
  phase: Phase;
  status: 'running' | RunStatus;
  files: number;
  inputBytes: number;
  /** Files not converted: their output is stored from the same input and recipe (recipe.ts). */
  reused?: number;
  pool: PoolProgress;
  job: { id: string; created: boolean; terminated: boolean };
  tasks: {
    total: number;
    added: number;
    counts: TaskCounts;
    /** Tries given again to tasks whose own download or upload failed (absent: none). */
    retried?: number;
  };
  /** The first failed tasks (all of them before the manifest; a run's first 100 with one). */
  failures: FailedTask[];
  unfinishedTasks: string[];
  /** With a manifest: how many failed / did not finish in all (the lists above are cut short). */
  failedCount?: number;
  unfinishedCount?: number;
  /** Milliseconds spent in each finished phase (workflow time). */
  phaseMs: Partial<Record<Phase, number>>;
  startedAt: string;
  updatedAt: string;
  /** Deadline for the tasks (ISO), once they are added. */
  tasksDeadline?: string;
  polls: number;
  continuedAsNew: number;
  cancelReason?: string;
  error?: string;
  /** Set while a folder step waits for a worker on the folder's host (`input.inputHost`). */
  waitingFor?: string;
  /** What the inspection of a local folder left out or followed (local inputs only). */
  inspection?: InspectionSummary;
  /** Node-seconds and cost so far (runs from before it existed have none). */
  usage?: RunUsage;
  /** The last malformed signals, which changed nothing (newest last, a few at most). */
  rejectedMessages?: Array<{ name: string; reason: string; at: string }>;
  cleanup: {
    policy: string;
    decision?: { deleteJob: boolean; deletePool: boolean; by: 'signal' | 'policy' | 'default' };
    decisionDeadline?: string;
    deleted: string[];
    kept: string[];
  };
}

export const emptyCounts = (): TaskCounts => ({
  active: 0,
  running: 0,
  completed: 0,
  succeeded: 0,
  failed: 0,
});

/** `node time 1.2 node-h dedicated, 300 node-s Spot (2 preempted); cost ≈ 0.0123 USD` */
export function usageText(usage: RunUsage): string {
  const time = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(2)} node-h` : `${s} node-s`);
  return (
    `node time ${time(usage.dedicatedNodeSeconds)} dedicated, ${time(usage.spotNodeSeconds)} Spot` +
    (usage.preemptedNodes ? ` (${usage.preemptedNodes} node(s) preempted)` : '') +
    (usage.cost ? `; cost ≈ ${usage.cost.amount.toFixed(4)} ${usage.cost.currency}` : '')
  );
}
