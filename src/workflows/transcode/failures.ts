// Failures as people read them: the activity's own error rather than "Activity task failed",
// and result and cleanup steps that record a failure without stopping the others.
import { log } from '@temporalio/workflow';
import type { Run } from './run';

/** The innermost cause. */
export function rootCause(err: unknown): unknown {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}

export function failureMessage(err: unknown): string {
  const root = rootCause(err);
  return root instanceof Error ? root.message : String(root);
}

/** A result or cleanup step: logged and recorded if it fails, never stopping the others. */
export async function step(run: Run, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error(`${what} failed`, { error: failureMessage(err) });
    run.progress.error ??= `${what} failed: ${failureMessage(err)}`;
  }
}
