// The run's messages: the progress query and the cancel and approveCleanup signals.
import { setHandler, type CancellationScope } from '@temporalio/workflow';
import { approveCleanupSignal, cancelSignal, progressQuery } from '../../transcode';
import type { Run } from './run';

export function installHandlers(run: Run, steps: CancellationScope): void {
  setHandler(progressQuery, () => run.progress, {
    description: 'Phase, task counts, failures, resource ids and time per phase.',
  });
  setHandler(
    cancelSignal,
    (args) => {
      run.progress.cancelReason ??= args?.reason ?? 'cancelled by signal';
      steps.cancel();
    },
    {
      description:
        'Stop the run: terminate the Batch job, then clean up per the policy. Args: {reason}',
    },
  );
  setHandler(
    approveCleanupSignal,
    (args) => {
      run.state.cleanupDecision = {
        deleteJob: args?.deleteJob ?? true,
        deletePool: args?.deletePool ?? true,
        by: 'signal',
      };
      run.touch();
    },
    {
      description:
        'Decide the cleanup: {deleteJob, deletePool} (both default true; false keeps that resource).',
    },
  );
  // A cancel that arrived before a continue-as-new still stops the next run.
  if (run.progress.cancelReason) steps.cancel();
}
