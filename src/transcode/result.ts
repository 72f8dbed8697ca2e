// What a finished run returns: small enough for the history however many files it had.
import type { ManifestRef } from './manifest';
import type { FailedTask, Progress, RunStatus, RunUsage, TaskCounts } from './progress';

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
  /** Files not converted: their output was already stored from the same input and recipe. */
  reused?: number;
  failedTasks: FailedTask[];
  unfinishedTasks: string[];
  /** Tries given again to tasks whose own download or upload failed (absent: none). */
  tasksRetried?: number;
  /** In all, when the lists above are cut short (runs with a manifest). */
  failedCount?: number;
  unfinishedCount?: number;
  missingCount?: number;
  /** Every output, failure and gap by name (gzip'd JSON lines), when a list above is cut short. */
  resultsList?: ManifestRef;
  downloaded?: { dir: string; files: number; bytes: number };
  resources: { created: string[]; deleted: string[]; kept: string[] };
  phaseMs: Progress['phaseMs'];
  /** Node-seconds by priority and, with prices given, the estimated cost. */
  usage?: RunUsage;
  totalMs: number;
}
