// What a finished run returns: small enough for the history however many files it had.
import type { FailedTask, Progress, RunStatus, TaskCounts } from './progress';

export interface TranscodeResult {
  status: RunStatus;
  message: string;
  counts: TaskCounts;
  outputContainer: string;
  /** Outputs stored and verified. */
  outputCount: number;
  outputBytes: number;
  /** The first 100 of them by name (a large run's full list would swell the history). */
  outputs: Array<{ name: string; size: number }>;
  missingOutputs: string[];
  failedTasks: FailedTask[];
  unfinishedTasks: string[];
  downloaded?: { dir: string; files: number; bytes: number };
  resources: { created: string[]; deleted: string[]; kept: string[] };
  phaseMs: Progress['phaseMs'];
  totalMs: number;
}
