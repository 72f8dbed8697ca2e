// What uploads and downloads share: files moved a few at a time, a heartbeat with a watermark so
// a retried attempt resumes where the last one stopped, and a summary of what was moved.
import { activityInfo, Context } from '@temporalio/activity';

export interface TransferSummary {
  files: number;
  transferred: number;
  skipped: number;
  bytes: number;
}

/** What a transfer heartbeats (read back by the CLI's watcher, src/cli/pending.ts). */
export interface TransferHeartbeat {
  /** Every file before this index is done. */
  watermark: number;
  transferred: number;
  skipped: number;
  bytes: number;
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
 * Moves each item with `move`, which counts what it did in the state, `concurrency` at once (8
 * when unset); resumes from the last attempt's heartbeat and stops at the next item once the
 * activity is cancelled.
 */
export async function transferEach<T>(
  what: 'upload' | 'download',
  items: T[],
  concurrency: number | undefined,
  move: (item: T, state: TransferHeartbeat) => Promise<void>,
): Promise<TransferSummary> {
  const resumed = activityInfo().heartbeatDetails as TransferHeartbeat | undefined;
  const state: TransferHeartbeat = resumed ?? {
    watermark: 0,
    transferred: 0,
    skipped: 0,
    bytes: 0,
  };
  await forEachBounded(
    items,
    state.watermark,
    concurrency ?? 8,
    async (item) => {
      if (Context.current().cancellationSignal.aborted) throw new Error(`${what} cancelled`);
      await move(item, state);
    },
    (watermark) => {
      state.watermark = watermark;
      Context.current().heartbeat(state);
    },
  );
  return {
    files: items.length,
    transferred: state.transferred,
    skipped: state.skipped,
    bytes: state.bytes,
  };
}
