// `client approve-cleanup <workflowId>`: the cleanup decision a run with `--cleanup ask` waits for.
import type { Command } from 'commander';
import { approveCleanupSignal } from '../../transcode';
import { openRun, withClient } from '../session';

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
          const decision = {
            deleteJob: !(options.keep || options.keepJob),
            deletePool: !(options.keep || options.keepPool),
          };
          await (await openRun(client, workflowId)).signal(approveCleanupSignal, decision);
          console.log(`Sent approveCleanup ${JSON.stringify(decision)} to ${workflowId}`);
        });
      },
    );
}
