// What uploads and downloads share: files moved a few at a time, a heartbeat with a watermark so
// a retried attempt resumes where the last one stopped, the blocks of big files in progress so a
// long file keeps heartbeating, and a summary of what was moved.
import { activityInfo, Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { UPLOAD_DEFAULTS } from '../../transcode';

export interface TransferSummary {
  files: number;
  transferred: number;
  skipped: number;
  bytes: number;
  /** Uploads: bytes sent by every attempt, a block cut off by a kill counted whole. */
  sentBytes?: number;
}

/** A big file on its way in blocks (kept small: counts, never block names). */
export interface FileInProgress {
  /** The file's index in the list. */
  file: number;
  blocks: number;
  staged: number;
  stagedBytes: number;
}

/** What a transfer heartbeats (read back by the CLI's watcher, src/cli/pending.ts). */
export interface TransferHeartbeat {
  /** Every file before this index is done. */
  watermark: number;
  transferred: number;
  skipped: number;
  /** Bytes stored so far: whole files done, plus the blocks staged of files in progress. */
  bytes: number;
  /** Bytes sent by every attempt so far, a block cut off by a kill counted whole. */
  sentBytes?: number;
  /** Big files in progress, at most one per file moved at once. */
  inProgress?: FileInProgress[];
}

/** What a move reports while a file goes, each call heartbeating. */
export interface FileProgress {
  /** Blocks stored of this file so far (found staged, or sent now), and their bytes. */
  staged(staged: number, blocks: number, stagedBytes: number): void;
  /** Bytes about to go over the wire. */
  sending(bytes: number): void;
  /** Still at work on the file (hashing it): heartbeats the state as it is. */
  working(): void;
}

/**
 * Runs `work` over items with bounded concurrency, reporting a watermark: every item before it
 * is done, so a retried attempt can start there.
 */
async function forEachBounded<T>(
  items: T[],
  start: number,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  onDone: (watermark: number) => void,
): Promise<void> {
  const done = new Array<boolean>(items.length).fill(false);
  let next = start;
  let watermark = start;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
      done[index] = true;
      while (watermark < items.length && done[watermark]) watermark++;
      onDone(watermark);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
}

/**
 * The state a retried attempt starts from: the files done stay done; the blocks of files that
 * were in progress are asked of the service again, so their bytes are taken back out.
 */
function resumeFrom(resumed: TransferHeartbeat | undefined): TransferHeartbeat {
  if (!resumed) return { watermark: 0, transferred: 0, skipped: 0, bytes: 0 };
  const inFlight = (resumed.inProgress ?? []).reduce((n, f) => n + f.stagedBytes, 0);
  return { ...resumed, bytes: resumed.bytes - inFlight, inProgress: [] };
}

/**
 * Moves each item with `move`, which counts what it did in the state, `concurrency` at once;
 * resumes from the last attempt's heartbeat and stops at the next item once the activity is
 * cancelled. `onWatermark` hears the watermark it resumes from, then each rise of it.
 */
export async function transferEach<T>(
  what: 'upload' | 'download',
  items: T[],
  concurrency: number | undefined,
  move: (item: T, state: TransferHeartbeat, progress: FileProgress) => Promise<void>,
  onWatermark?: (watermark: number) => void,
): Promise<TransferSummary> {
  const state = resumeFrom(activityInfo().heartbeatDetails as TransferHeartbeat | undefined);
  onWatermark?.(state.watermark);
  const heartbeat = () => Context.current().heartbeat(state);
  const progressOf = (file: number): FileProgress => ({
    staged(staged, blocks, stagedBytes) {
      state.inProgress ??= [];
      let entry = state.inProgress.find((f) => f.file === file);
      if (!entry) {
        entry = { file, blocks, staged: 0, stagedBytes: 0 };
        state.inProgress.push(entry);
      }
      state.bytes += stagedBytes - entry.stagedBytes;
      Object.assign(entry, { blocks, staged, stagedBytes });
      heartbeat();
    },
    sending(bytes) {
      state.sentBytes = (state.sentBytes ?? 0) + bytes;
      heartbeat();
    },
    working: heartbeat,
  });
  await forEachBounded(
    items,
    state.watermark,
    concurrency ?? UPLOAD_DEFAULTS.filesAtOnce,
    async (item, index) => {
      if (Context.current().cancellationSignal.aborted) {
        throw new CancelledFailure(`${what} cancelled`);
      }
      await move(item, state, progressOf(index));
      // Done: its bytes are counted whole by the move now.
      const inProgress = state.inProgress ?? [];
      const at = inProgress.findIndex((f) => f.file === index);
      if (at >= 0) state.bytes -= inProgress.splice(at, 1)[0].stagedBytes;
    },
    (watermark) => {
      state.watermark = watermark;
      heartbeat();
      onWatermark?.(watermark);
    },
  );
  return {
    files: items.length,
    transferred: state.transferred,
    skipped: state.skipped,
    bytes: state.bytes,
    ...(state.sentBytes === undefined ? {} : { sentBytes: state.sentBytes }),
  };
}
