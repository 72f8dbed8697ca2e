import type { BatchServiceModels as M } from '@azure/batch';

/** A task attempt that failed before or after its process (pre-processing, upload, launch). */
export class TaskFailure extends Error {
  constructor(readonly info: M.TaskFailureInformation) {
    super(info.message ?? info.code);
    this.name = 'TaskFailure';
  }
}

export function userError(
  code: string,
  message: string,
  details: Record<string, string | number | undefined> = {},
): M.TaskFailureInformation {
  const pairs = Object.entries(details)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));
  return { category: 'usererror', code, message, ...(pairs.length > 0 ? { details: pairs } : {}) };
}

/** The URL without its query, so SAS tokens never land in task state. */
export function redact(url: string): string {
  return url.split('?')[0];
}
