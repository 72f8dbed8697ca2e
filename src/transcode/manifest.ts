// The claim check: a run's long lists (the input files, the full results) live in a blob, and
// the workflow carries only this reference to it, so history stays small at any file count.
import type { FailedTask } from './progress';

/** A gzip'd JSON-lines blob, addressed by name and content hash. */
export interface ManifestRef {
  container: string;
  blobName: string;
  /** SHA-256 of the stored (gzip'd) bytes, hex: the reader checks it. */
  sha256: string;
  /** Entries (lines). */
  count: number;
  /** For an input manifest, the sum of the files' sizes; otherwise 0. */
  totalBytes: number;
}

/** Where a run keeps its manifests, in the output container, apart from the outputs. */
export const RUN_BLOB_PREFIX = '_runs/';

/** A run's blob, named from its owner (`workflowId/firstRunId`) so a retry writes the same name. */
export function runBlobName(owner: string, file: string): string {
  return `${RUN_BLOB_PREFIX}${owner.replace(/[^A-Za-z0-9._/-]+/g, '_')}/${file}`;
}

/**
 * Where a run's failed tasks leave their stdout.txt and stderr.txt (Batch uploads them on
 * failure, `<prefix>/<taskId>/`): kept in the output container, so the reason outlives the node
 * (a shrunk pool, a preempted Spot node, the pool's deletion).
 */
export function taskLogsPrefix(owner: string): string {
  return runBlobName(owner, 'logs');
}

/** Where tasks added before the run had a prefix of its own left their logs. */
export const LEGACY_TASK_LOGS_PREFIX = 'logs';

/** A run's blob that is not a manifest: its name only. */
export interface RunBlobRef {
  container: string;
  blobName: string;
}

/**
 * How far a run's upload has got (every input before `watermark` is stored), published as it
 * goes so that the tasks of the inputs already stored are added meanwhile.
 */
export const UPLOAD_PROGRESS_FILE = 'uploaded.json';

/** The blob names of a run's input manifest and of its full results. */
export const INPUT_MANIFEST_FILE = 'inputs.jsonl.gz';
/** The selected inputs (incremental runs), written beside the input manifest and replacing it. */
export const SELECTED_MANIFEST_FILE = 'selected.jsonl.gz';
/**
 * The outputs a selection reused (as `output` result entries), for a download that must hold
 * every output, not only those this run made; deleted with the manifests.
 */
export const REUSED_OUTPUTS_FILE = 'selected-reused.jsonl.gz';
export const RESULTS_FILE = 'results.jsonl.gz';

/** One line of a run's full results (RESULTS_FILE): every output, failure and gap by name. */
export type ResultEntry =
  | { kind: 'output'; name: string; size: number }
  | { kind: 'missing'; name: string }
  | ({ kind: 'failed' } & FailedTask)
  | { kind: 'unfinished'; taskId: string };

/** How many entries of each list a result names: the rest are in the results blob. */
export const RESULTS_LISTED = 100;
