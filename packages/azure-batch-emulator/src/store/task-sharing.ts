// What the tasks of one job repeat, held once per job: a 100,000-task job would otherwise keep
// 100,000 copies of its command line, its output container's SAS URL, its constraints and the
// dates of the tasks added in the same millisecond.
import type { Task } from './types';

/**
 * Past this many entries a job's tables stop growing: values unique to each task gain nothing
 * from sharing, and the table's own copy would cost more.
 */
const MAX_ENTRIES = 1024;

/** The date fields a task keeps; shared between tasks when equal (nothing sets a Date in place). */
const DATE_FIELDS = [
  'creationTime',
  'stateTransitionTime',
  'previousStateTransitionTime',
  'lastModified',
] as const;

/**
 * Sub-objects usually equal across a job's tasks and replaced, never changed in place, when a
 * task changes: shared frozen, so a change in place would throw rather than reach other tasks.
 */
const VALUE_FIELDS = [
  'constraints',
  'executionInfo',
  'userIdentity',
  'environmentSettings',
  'containerSettings',
  'exitConditions',
  'affinityInfo',
  'applicationPackageReferences',
  'authenticationTokenSettings',
  'multiInstanceSettings',
] as const;

type Plain = Record<string, unknown>;

const UNDEFINED = '\u0000undefined';

function isPlain(value: unknown): value is Plain | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Made only of JSON values (no Date, which JSON would confuse with its string). */
function isJsonValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (!isPlain(value)) return false;
  return Object.values(value).every(isJsonValue);
}

/** The same JSON value rebuilt by JSON.parse, whose objects and arrays have no spare room. */
function exactSize<T>(value: T): T {
  return isJsonValue(value) ? (JSON.parse(JSON.stringify(value)) as T) : value;
}

function deepFreeze<T>(value: T): T {
  if (isPlain(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** One job's tables of shared values. */
export class TaskSharing {
  private strings = new Map<string, string>();
  private values = new Map<string, unknown>();
  private lastDate: Date | undefined;

  /** Replaces the named string properties present on `target` with their shared copies. */
  private shareStrings(target: object, fields: readonly string[]): void {
    const record = target as Plain;
    for (const field of fields) {
      const value = record[field];
      if (typeof value !== 'string') continue;
      const known = this.strings.get(value);
      if (known !== undefined) record[field] = known;
      else if (this.strings.size < MAX_ENTRIES) this.strings.set(value, value);
    }
  }

  private value<T>(value: T): T {
    if (!isPlain(value) || !isJsonValue(value)) return value;
    // Keys present but undefined count too: sharing must not change what `in` answers.
    const json = JSON.stringify(value, (_k, v: unknown) => (v === undefined ? UNDEFINED : v));
    const known = this.values.get(json);
    if (known !== undefined) return known as T;
    if (this.values.size < MAX_ENTRIES) this.values.set(json, deepFreeze(value));
    return value;
  }

  private date(value: Date | undefined): Date | undefined {
    if (!(value instanceof Date)) return value;
    if (this.lastDate?.getTime() === value.getTime()) return this.lastDate;
    this.lastDate = value;
    return value;
  }

  /**
   * Points the task's repeated parts at the job's shared copies (same values, so every answer
   * and the persisted form are unchanged). Only values the store's callers replace are shared.
   * A new task's file lists are also rebuilt at their exact size: objects made a property at a
   * time (as requests are read) keep room for properties they never get.
   */
  share(task: Task, isNew: boolean): void {
    const t = task as unknown as Plain;
    if (isNew) {
      if (task.resourceFiles) task.resourceFiles = exactSize(task.resourceFiles);
      if (task.outputFiles) task.outputFiles = exactSize(task.outputFiles);
    }
    for (const field of DATE_FIELDS) {
      if (t[field] instanceof Date) t[field] = this.date(t[field]);
    }
    for (const field of VALUE_FIELDS) {
      if (t[field] !== undefined) t[field] = this.value(t[field]);
    }
    this.shareStrings(t, ['commandLine']);
    for (const file of task.resourceFiles ?? []) {
      this.shareStrings(file, [
        'filePath',
        'storageContainerUrl',
        'autoStorageContainerName',
        'fileMode',
      ]);
    }
    for (const output of task.outputFiles ?? []) {
      this.shareStrings(output, ['filePattern']);
      if (output.uploadOptions !== undefined)
        output.uploadOptions = this.value(output.uploadOptions);
      const container = output.destination?.container;
      if (container) this.shareStrings(container, ['containerUrl']);
    }
  }
}
