// The upload's progress as a small blob beside the run's manifests: the upload publishes its
// watermark (every input before it is stored) as it advances, and the step adding the tasks
// reads it to add each task once its input is stored. A blob, not a message between the two
// activities: they may run on different workers (the upload on the folder's host).
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobServiceClient } from '@azure/storage-blob';
import { statusOf, toActivityFailure } from '../errors';
import type { RunBlobRef } from '../../transcode';

interface UploadProgress {
  watermark: number;
}

/** At most one write per this interval while the upload goes on; the last one always. */
const PUBLISH_INTERVAL_MS = 250;

/**
 * Publishes a rising watermark: the first value at once, then at most one write per interval,
 * one write at a time. A failed write in between is left to the next (it carries a higher value);
 * `finish` writes the final value and fails if it cannot, since a reader waits for it.
 */
export class UploadProgressPublisher {
  private latest = -1;
  private written = -1;
  private lastWriteMs = 0;
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** Set by finish or stop: nothing more is scheduled. */
  private stopped = false;

  constructor(
    private readonly blobService: BlobServiceClient,
    private readonly ref: RunBlobRef,
  ) {}

  advance(watermark: number): void {
    // Nothing stored yet says no more than no blob at all.
    if (watermark <= Math.max(0, this.latest)) return;
    this.latest = watermark;
    this.schedule();
  }

  /** Writes the final watermark (after any write in flight) and stops. */
  async finish(watermark: number): Promise<void> {
    this.stop();
    this.latest = Math.max(this.latest, watermark);
    await this.writing;
    if (this.written < this.latest) await this.write(this.latest);
  }

  /**
   * Stops without a final write (the upload failed or was cancelled) and waits for a write on its
   * way: once the upload has ended, nothing of it may land (after cleanup, say).
   */
  async abandon(): Promise<void> {
    this.stop();
    await this.writing;
  }

  /** Schedules nothing more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.writing || this.timer) return;
    const waitMs = this.lastWriteMs + PUBLISH_INTERVAL_MS - Date.now();
    if (waitMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, waitMs);
      return;
    }
    this.writing = this.write(this.latest)
      .catch(() => undefined) // the next write carries a higher value
      .finally(() => {
        this.writing = undefined;
        if (this.latest > this.written) this.schedule();
      });
  }

  private async write(watermark: number): Promise<void> {
    this.lastWriteMs = Date.now();
    const body = JSON.stringify({ watermark } satisfies UploadProgress);
    try {
      await this.blobService
        .getContainerClient(this.ref.container)
        .getBlockBlobClient(this.ref.blobName)
        .upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
    } catch (err) {
      toActivityFailure(
        err,
        `write the upload's progress ${this.ref.container}/${this.ref.blobName}`,
      );
    }
    this.written = Math.max(this.written, watermark);
  }
}

/**
 * Reads of a body that does not parse before it counts as broken: Azurite can answer a read
 * that races a rewrite of the blob with bytes of both (seen once in CI); the next read is whole.
 */
const TORN_READS = 3;

/** The published watermark; 0 before the upload published anything. */
export async function readUploadProgress(
  blobService: BlobServiceClient,
  ref: RunBlobRef,
): Promise<number> {
  const blob = blobService.getContainerClient(ref.container).getBlobClient(ref.blobName);
  for (let read = 1; ; read++) {
    try {
      const body = await blob.downloadToBuffer();
      const { watermark } = JSON.parse(body.toString('utf8')) as Partial<UploadProgress>;
      return typeof watermark === 'number' && Number.isFinite(watermark) ? watermark : 0;
    } catch (err) {
      if (statusOf(err) === 404) return 0; // not published yet
      if (err instanceof SyntaxError && read < TORN_READS) continue;
      toActivityFailure(err, `read the upload's progress ${ref.container}/${ref.blobName}`);
    }
  }
}

/** Looks at the published progress: as often as it is written while it rises, less when not. */
const LOOK_MS = PUBLISH_INTERVAL_MS;
/** The first looks come sooner (backing off from there): the first input is awaited by the nodes. */
const FIRST_LOOK_MS = 100;
const LONGEST_LOOK_MS = 2000;

/**
 * Follows the upload's published watermark for any number of waiters, with one look at a time
 * shared by all (each look calls `alive`, the activity's heartbeat), and stops them when
 * `cancelled` says so.
 */
export class UploadProgressFollower {
  private watermark = 0;
  private intervalMs = FIRST_LOOK_MS;
  private looked = false;
  private look?: Promise<void>;

  constructor(
    private readonly blobService: BlobServiceClient,
    private readonly ref: RunBlobRef,
    private readonly alive: () => void,
    private readonly cancelled: () => Error | undefined,
  ) {}

  /**
   * The watermark once it reaches `enough`, or once it passes `from` and `ready` agrees, given
   * how many inputs past `from` are stored and how long this call has waited.
   */
  async stored(
    from: number,
    enough: number,
    ready: (storedPastFrom: number, waitedMs: number) => boolean,
  ): Promise<number> {
    const started = Date.now();
    for (;;) {
      if (this.watermark >= enough) return this.watermark;
      if (this.watermark > from && ready(this.watermark - from, Date.now() - started)) {
        return this.watermark;
      }
      const error = this.cancelled();
      if (error) throw error;
      await this.nextLook();
    }
  }

  private nextLook(): Promise<void> {
    this.look ??= (async () => {
      if (this.looked) await sleep(this.intervalMs);
      this.looked = true;
      const seen = await readUploadProgress(this.blobService, this.ref);
      this.intervalMs =
        seen > this.watermark ? LOOK_MS : Math.min(LONGEST_LOOK_MS, this.intervalMs * 1.5);
      this.watermark = Math.max(this.watermark, seen);
      this.alive();
    })().finally(() => (this.look = undefined));
    return this.look;
  }
}
