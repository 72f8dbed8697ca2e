// The workflow's messages: signals and updates to decide the cleanup or cancel, the progress
// query, and one strict check of their payloads shared by the workflow and the client. A
// malformed payload changes nothing: the signal is recorded as rejected, the update refused.
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { Progress } from './progress';

// The definitions as @temporalio/workflow's defineSignal/defineUpdate/defineQuery make them (a
// type and a name), written here so that the client does not load the workflow package.
const defineSignal = <Args extends unknown[]>(name: string) =>
  ({ type: 'signal', name }) as SignalDefinition<Args>;
const defineUpdate = <Ret, Args extends unknown[]>(name: string) =>
  ({ type: 'update', name }) as UpdateDefinition<Ret, Args>;
const defineQuery = <Ret>(name: string) => ({ type: 'query', name }) as QueryDefinition<Ret>;

export interface ApproveCleanupArgs {
  /** Delete the job this run created. Missing: true (delete). */
  deleteJob?: boolean;
  /** Delete the pool this run created. Missing: true (delete). */
  deletePool?: boolean;
}

export interface CancelArgs {
  /** Why, shown in progress and the result. Missing: "cancelled by signal". */
  reason?: string;
}

/** What an update answers: the decision now in force. */
export interface CleanupDecisionAnswer {
  deleteJob: boolean;
  deletePool: boolean;
}

export const approveCleanupSignal = defineSignal<[ApproveCleanupArgs?]>('approveCleanup');
export const cancelSignal = defineSignal<[CancelArgs?]>('cancel');
/** The same decisions as updates: a malformed payload comes back to the caller as an error. */
export const approveCleanupUpdate = defineUpdate<CleanupDecisionAnswer, [ApproveCleanupArgs]>(
  'approveCleanup',
);
export const cancelUpdate = defineUpdate<void, [CancelArgs]>('cancel');
export const progressQuery = defineQuery<Progress>('progress');

const MAX_REASON = 500;

function objectProblems(args: unknown, fields: Record<string, 'boolean' | 'string'>): string[] {
  // No payload at all means every default, as the README says; an explicit null does not.
  if (args === undefined) return [];
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return [`the payload must be a JSON object such as {${Object.keys(fields).join(', ')}}`];
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    const expected = fields[key];
    if (!expected)
      problems.push(`unknown field ${key} (expected ${Object.keys(fields).join(', ')})`);
    else if (value !== undefined && typeof value !== expected) {
      problems.push(`${key} must be a ${expected} (got ${JSON.stringify(value)})`);
    }
  }
  return problems;
}

/** Problems of an approveCleanup payload; none means it may be applied. */
export function approveCleanupProblems(args: unknown): string[] {
  return objectProblems(args, { deleteJob: 'boolean', deletePool: 'boolean' });
}

/** Problems of a cancel payload; none means it may be applied. */
export function cancelProblems(args: unknown): string[] {
  const problems = objectProblems(args, { reason: 'string' });
  const reason = (args as CancelArgs | undefined)?.reason;
  if (typeof reason === 'string' && reason.length > MAX_REASON) {
    problems.push(`reason must be at most ${MAX_REASON} characters`);
  }
  return problems;
}
