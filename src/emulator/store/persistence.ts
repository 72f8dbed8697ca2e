import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** The models' DateTime properties; user strings that merely look like dates stay strings. */
const DATE_KEYS = new Set([
  'creationTime',
  'lastModified',
  'stateTransitionTime',
  'previousStateTransitionTime',
  'allocationStateTransitionTime',
  'startTime',
  'endTime',
  'lastRetryTime',
  'lastRequeueTime',
  'lastBootTime',
  'allocationTime',
  'lastUpdateTime',
  'expiryTime',
  'doNotRunAfter',
  'doNotRunUntil',
  'nextRunTime',
  'batchSupportEndOfLife',
  'timestamp',
]);

/** Model dates are Date objects; JSON turns them into ISO strings, this turns them back. */
function reviveDates(key: string, value: unknown): unknown {
  return DATE_KEYS.has(key) && typeof value === 'string' && ISO_DATE.test(value)
    ? new Date(value)
    : value;
}

/**
 * State as one JSON file, written atomically (temp file then rename) and debounced. The debounce
 * stretches with the cost of a write so that a big state never keeps a core busy.
 */
export class JsonFilePersistence {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastWriteMs = 0;
  private enabled = true;

  constructor(
    readonly file: string,
    private readonly debounceMs: number,
    private readonly snapshot: () => unknown,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  load(): unknown {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8'), reviveDates) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  schedule(): void {
    if (!this.enabled) return;
    this.dirty = true;
    if (this.timer || this.writing) return;
    const delay = Math.max(this.debounceMs, this.lastWriteMs * 4);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, delay);
  }

  private async write(): Promise<void> {
    if (this.writing) return this.writing;
    this.writing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        const started = Date.now();
        const text = JSON.stringify(this.snapshot());
        const tmp = `${this.file}.tmp-${process.pid}`;
        try {
          mkdirSync(dirname(this.file), { recursive: true });
          await writeFile(tmp, text);
          await rename(tmp, this.file);
        } catch (err) {
          this.log(`persistence: write failed: ${String(err)}`);
        }
        this.lastWriteMs = Date.now() - started;
      }
    })();
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  /** Writes now if anything changed since the last write. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing) await this.writing;
    if (this.dirty) await this.write();
  }

  /** Synchronous last write for process exit paths. */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.snapshot()));
    renameSync(tmp, this.file);
    this.dirty = false;
  }

  /** Stops scheduling writes (after stop, so a late event cannot resurrect a file). */
  disable(): void {
    this.enabled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
