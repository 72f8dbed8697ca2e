import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { jsonPieces } from './json-pieces';

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
 * The state and journal hold every job's SAS URLs: readable by the emulator's user only (tasks run
 * as another user when the emulator is root; the runtime makes the data directory 0711).
 */
const FILE_MODE = 0o600;

/** Snapshot pieces are joined up to about this many characters per write. */
const WRITE_CHARS = 1 << 20;

function* batched(pieces: Iterable<string>): Generator<string> {
  let parts: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    parts.push(piece);
    size += piece.length;
    if (size >= WRITE_CHARS) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** Below this size the journal is never replaced by a snapshot. */
const MIN_COMPACT_BYTES = 1 << 20;

export interface JournalSource {
  /** The whole state, written as the snapshot. */
  snapshot(): unknown;
  /** One JSON line per change since the last call ('' when nothing changed). */
  changes(): string;
}

export interface LoadedState {
  /** The last snapshot, if any. */
  snapshot: unknown;
  /** Journal entries written after it, oldest first. */
  entries: unknown[];
}

/**
 * State as a snapshot (`state.json`) plus a journal of the changes since (`state.journal`), so a
 * write costs what changed rather than the whole state. The journal is appended to; once it
 * outgrows the snapshot, a new snapshot is written (temp file then rename) and the journal
 * starts over. To keep a crash at any point safe, the journal is first renamed to
 * `state.journal.1` and only deleted once the new snapshot is in place; loading replays
 * `.journal.1` then `.journal` over the snapshot. Each entry is a record's whole state, so
 * replaying entries the snapshot already holds changes nothing.
 */
export class JsonFilePersistence {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastWriteMs = 0;
  private enabled = true;
  private journal: FileHandle | undefined;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private snapshotWanted = false;

  constructor(
    readonly file: string,
    private readonly debounceMs: number,
    private readonly source: JournalSource,
    private readonly log: (line: string) => void = () => undefined,
    /** The journal is replaced by a snapshot past this size or the snapshot's, if larger. */
    private readonly compactBytes = MIN_COMPACT_BYTES,
  ) {}

  private get journalFile(): string {
    return this.file.replace(/\.json$/, '') + '.journal';
  }

  private get rotatedJournal(): string {
    return `${this.journalFile}.1`;
  }

  load(): LoadedState | undefined {
    let snapshot: unknown;
    try {
      const text = readFileSync(this.file, 'utf8');
      this.snapshotBytes = text.length;
      snapshot = JSON.parse(text, reviveDates) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const entries: unknown[] = [];
    for (const file of [this.rotatedJournal, this.journalFile]) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          entries.push(JSON.parse(line, reviveDates));
        } catch {
          // A write cut short by a crash: nobody was told about it.
        }
      }
    }
    return snapshot === undefined && entries.length === 0 ? undefined : { snapshot, entries };
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
        try {
          const lines = this.source.changes();
          if (lines) {
            this.journal ??= await this.openJournal();
            await this.journal.write(lines);
            this.journalBytes += Buffer.byteLength(lines);
          }
          if (
            this.snapshotWanted ||
            this.journalBytes > Math.max(this.compactBytes, this.snapshotBytes)
          ) {
            await this.compact();
            this.snapshotWanted = false;
          }
        } catch (err) {
          // The changes taken are not in the journal: the next write puts them in a snapshot.
          this.snapshotWanted = true;
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

  private async openJournal(): Promise<FileHandle> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    return open(this.journalFile, 'a', FILE_MODE);
  }

  /** Every change so far is in the journal: a snapshot replaces it. */
  private async compact(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
    // A `.1` left by a failed compaction holds older changes: keep it (the current journal,
    // which then also started before this snapshot, stays too).
    if (!existsSync(this.rotatedJournal)) {
      await rename(this.journalFile, this.rotatedJournal).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.journalBytes = 0;
    }
    const tmp = `${this.file}.tmp-${process.pid}`;
    const bytes = await this.writeSnapshot(tmp);
    await rename(tmp, this.file);
    await rm(this.rotatedJournal, { force: true });
    this.snapshotBytes = bytes;
  }

  /**
   * The snapshot written in pieces: one string of a 100,000-task state would hold hundreds of
   * megabytes at once (and keep the process that large after). A record changed while this
   * writes is written either way, and its change is in the next journal, replayed over it.
   */
  private async writeSnapshot(file: string): Promise<number> {
    const pieces = batched(jsonPieces(this.source.snapshot()));
    const handle = await open(file, 'w', FILE_MODE);
    let bytes = 0;
    try {
      for (const piece of pieces) {
        await handle.write(piece);
        bytes += piece.length;
      }
    } finally {
      await handle.close();
    }
    return bytes;
  }

  /** Writes now whatever changed since the last write. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing) await this.writing;
    if (this.dirty) await this.write();
  }

  /** A snapshot of the state as it is now, journals removed (after loading, before serving). */
  compactSync(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    this.source.changes();
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', FILE_MODE);
    let bytes = 0;
    try {
      for (const piece of batched(jsonPieces(this.source.snapshot()))) {
        writeSync(fd, piece);
        bytes += piece.length;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    rmSync(this.rotatedJournal, { force: true });
    rmSync(this.journalFile, { force: true });
    this.snapshotBytes = bytes;
    this.journalBytes = 0;
    this.dirty = false;
  }

  /** A last snapshot, so a stopped emulator leaves `state.json` alone; then no more writes. */
  async close(): Promise<void> {
    await this.flush();
    try {
      await this.compact();
    } catch (err) {
      this.log(`persistence: final write failed: ${String(err)}`);
    }
    await this.disable();
  }

  /** Stops scheduling writes (after stop, so a late event cannot resurrect a file). */
  async disable(): Promise<void> {
    this.enabled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.journal?.close();
    this.journal = undefined;
  }
}
