// `client approve-cleanup <workflowId>`: the cleanup decision a run with `--cleanup ask` waits for.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { approveCleanupSignal, type CleanupDecisionAnswer } from '../../transcode';
import { openRun, withClient } from '../session';

/** Sends the decision to a running run (a UsageError for an unknown or ended one). */
export async function sendApproveCleanup(
  client: Client,
  workflowId: string,
  keep: { keepJob: boolean; keepPool: boolean },
): Promise<CleanupDecisionAnswer> {
  const decision = { deleteJob: !keep.keepJob, deletePool: !keep.keepPool };
  await (await openRun(client, workflowId)).signal(approveCleanupSignal, decision);
  return decision;
}

export function addApproveCleanupCommand(cli: Command): void {
  cli
    .command('approve-cleanup <workflowId>')
    .description('let the run delete its job and pool (or keep them)')
    .option('--keep-job', 'keep the job', false)
    .option('--keep-pool', 'keep the pool', false)
    .option('--keep', 'keep both', false)
    .action(
      async (
        workflowId: string,
        options: { keepJob: boolean; keepPool: boolean; keep: boolean },
      ) => {
        await withClient(async (client) => {
          const decision = await sendApproveCleanup(client, workflowId, {
            keepJob: options.keep || options.keepJob,
            keepPool: options.keep || options.keepPool,
          });
          console.log(`Sent approveCleanup ${JSON.stringify(decision)} to ${workflowId}`);
        });
      },
    );
}
