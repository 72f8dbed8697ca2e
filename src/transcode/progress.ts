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
}

export interface PoolProgress {
  id: string;
  created: boolean;
  reused: boolean;
  allocationState?: string;
  nodeStates: Record<string, number>;
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

/** How a run ended. */
export type RunStatus = 'succeeded' | 'partially-failed' | 'failed' | 'cancelled' | 'timed-out';

export interface Progress {
  workflowId: string;
  phase: Phase;
  status: 'running' | RunStatus;
  files: number;
  inputBytes: number;
  pool: PoolProgress;
  job: { id: string; created: boolean; terminated: boolean };
  tasks: { total: number; added: number; counts: TaskCounts };
  failures: FailedTask[];
  unfinishedTasks: string[];
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
  /** What the inspection of a local folder left out or followed (local inputs only). */
  inspection?: InspectionSummary;
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
