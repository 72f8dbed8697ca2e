// What a run's pending activities tell a watcher: the upload's heartbeat (files and bytes so far),
// the tasks added, the task watch's latest counts, and activities retrying after a failure. Read
// from `handle.describe()`, decoded with the client's own data converter (codecs included), as
// the SDK decodes any payload.
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { isTaskWatchBeat, type Progress, type TaskWatchBeat } from '../transcode';
import type { Retrying, UploadProgress } from './format';

/** The fields read from `describe().raw.pendingActivities[]`. */
export interface PendingActivityLike {
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  heartbeatDetails?: { payloads?: Payload[] | null } | null;
  lastFailure?: { message?: string | null } | null;
}

/** What uploadInputs heartbeats (src/activities/storage/transfer.ts). */
interface TransferHeartbeat {
  watermark: number;
  transferred: number;
  skipped: number;
  bytes: number;
}

function isTransferHeartbeat(value: unknown): value is TransferHeartbeat {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['watermark', 'transferred', 'skipped', 'bytes'].every((k) => typeof v[k] === 'number');
}

/** What addTasks heartbeats, as far as a watcher reads it (src/activities/batch/tasks.ts). */
interface AddTasksHeartbeat {
  added?: number;
  alreadyExisted?: number;
}

function tasksAddedIn(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { added, alreadyExisted } = value as AddTasksHeartbeat;
  if (typeof added !== 'number') return undefined;
  return added + (typeof alreadyExisted === 'number' ? alreadyExisted : 0);
}

export interface PendingView {
  upload?: UploadProgress;
  /** Tasks added so far, while addTasks runs and has heartbeated. */
  tasksAdded?: number;
  /** The task watch's latest poll, while watchTasks runs and has heartbeated. */
  taskWatch?: TaskWatchBeat;
  retrying: Retrying[];
}

/** Activities whose heartbeat a watcher reads. */
const READ_HEARTBEATS: ReadonlySet<string> = new Set(['uploadInputs', 'addTasks', 'watchTasks']);

/**
 * The progress with the task watch's counts when they are newer than the workflow's: between
 * the times the watch hands back, only its heartbeat has them.
 */
export function withWatchedCounts(progress: Progress, watch: TaskWatchBeat | undefined): Progress {
  if (!watch || watch.pacing.polls <= progress.polls) return progress;
  return {
    ...progress,
    polls: watch.pacing.polls,
    tasks: { ...progress.tasks, counts: watch.counts },
  };
}

export async function readPending(
  pending: readonly PendingActivityLike[],
  converter: LoadedDataConverter,
  progress: Progress,
): Promise<PendingView> {
  const view: PendingView = { retrying: [] };
  for (const activity of pending) {
    const name = activity.activityType?.name ?? 'activity';
    if (READ_HEARTBEATS.has(name)) {
      const payloads = activity.heartbeatDetails?.payloads;
      const [details] = payloads?.length
        ? await decodeArrayFromPayloads(converter, payloads).catch(() => [])
        : [];
      if (name === 'uploadInputs') {
        view.upload = uploadProgress(isTransferHeartbeat(details) ? details : undefined, progress);
      } else if (name === 'addTasks') {
        view.tasksAdded = tasksAddedIn(details);
      } else if (isTaskWatchBeat(details)) {
        view.taskWatch = details;
      }
    }
    const attempt = activity.attempt ?? 1;
    if (attempt > 1) {
      view.retrying.push({
        activity: name,
        attempt,
        message: activity.lastFailure?.message ?? undefined,
      });
    }
  }
  return view;
}

/** The upload so far; before the first heartbeat, nothing is done yet. */
export function uploadProgress(
  heartbeat: TransferHeartbeat | undefined,
  progress: Progress,
): UploadProgress {
  return {
    files: progress.files,
    filesDone: heartbeat
      ? Math.max(heartbeat.watermark, heartbeat.transferred + heartbeat.skipped)
      : 0,
    skipped: heartbeat?.skipped ?? 0,
    bytes: progress.inputBytes,
    bytesSent: heartbeat?.bytes ?? 0,
  };
}
