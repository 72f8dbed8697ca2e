// The run's messages: the progress query, and the cleanup decision and cancel as signals (for
// the CLI and the Web UI) and as updates (a caller gets an error back for a bad payload). Every
// payload is checked strictly first; a malformed signal changes nothing and is shown as rejected.
import { ApplicationFailure, log, setHandler, type CancellationScope } from '@temporalio/workflow';
import {
  approveCleanupProblems,
  approveCleanupSignal,
  approveCleanupUpdate,
  cancelProblems,
  cancelSignal,
  cancelUpdate,
  progressQuery,
  type ApproveCleanupArgs,
  type CancelArgs,
} from '../../transcode';
import type { Run } from './run';

const REJECTIONS_KEPT = 5;

export function installHandlers(run: Run, steps: CancellationScope): void {
  const decide = (args: ApproveCleanupArgs | undefined) => {
    run.state.cleanupDecision = {
      deleteJob: args?.deleteJob ?? true,
      deletePool: args?.deletePool ?? true,
      by: 'signal',
    };
    run.touch();
    return {
      deleteJob: run.state.cleanupDecision.deleteJob,
      deletePool: run.state.cleanupDecision.deletePool,
    };
  };
  const cancel = (args: CancelArgs | undefined) => {
    run.progress.cancelReason ??= args?.reason ?? 'cancelled by signal';
    steps.cancel();
  };
  const reject = (name: string, problems: string[]) => {
    const reason = problems.join('; ');
    log.warn('message rejected', { name, reason });
    const rejected = [
      ...(run.progress.rejectedMessages ?? []),
      { name, reason, at: new Date().toISOString() },
    ];
    run.progress.rejectedMessages = rejected.slice(-REJECTIONS_KEPT);
    run.touch();
  };
  const refuse = (problems: string[]) => {
    if (problems.length > 0) {
      throw ApplicationFailure.create({ type: 'InvalidMessage', message: problems.join('; ') });
    }
  };

  setHandler(progressQuery, () => run.progress, {
    description: 'Phase, task counts, failures, resource ids and time per phase.',
  });
  /** A payload with problems is recorded as rejected; a good one is applied. */
  const checked =
    <A>(name: string, problemsOf: (args: unknown) => string[], apply: (args: A) => unknown) =>
    (args: A) => {
      const problems = problemsOf(args);
      if (problems.length > 0) reject(name, problems);
      else apply(args);
    };
  setHandler(cancelSignal, checked('cancel', cancelProblems, cancel), {
    description:
      'Stop the run: terminate the Batch job, then clean up per the policy. Args: {reason} (a string).',
  });
  setHandler(approveCleanupSignal, checked('approveCleanup', approveCleanupProblems, decide), {
    description:
      'Decide the cleanup: {deleteJob, deletePool}, booleans; a missing one means true (delete). ' +
      'Anything else is rejected and changes nothing.',
  });
  setHandler(approveCleanupUpdate, decide, {
    validator: (args) => refuse(approveCleanupProblems(args)),
    description: 'The approveCleanup decision as an update: answers the decision in force.',
  });
  setHandler(cancelUpdate, cancel, {
    validator: (args) => refuse(cancelProblems(args)),
    description: 'The cancel as an update: a bad payload is refused with the reason.',
  });
  // A cancel that arrived before a continue-as-new still stops the next run.
  if (run.progress.cancelReason) steps.cancel();
}
