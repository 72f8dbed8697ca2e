// `client cancel <workflowId>`: asks the run to stop; it terminates the Batch job itself, then
// cleans up per its policy.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { cancelSignal } from '../../transcode';
import { openRun, withClient } from '../session';

/** Asks a running run to stop (a UsageError for an unknown or ended one). */
export async function sendCancel(
  client: Client,
  workflowId: string,
  reason: string,
): Promise<void> {
  await (await openRun(client, workflowId)).signal(cancelSignal, { reason });
}

export function addCancelCommand(cli: Command): void {
  cli
    .command('cancel <workflowId>')
    .description('stop the run: terminate the Batch job, then clean up per the policy')
    .option('--reason <text>', 'why', 'cancelled from the client')
    .action(async (workflowId: string, options: { reason: string }) => {
      await withClient(async (client) => {
        await sendCancel(client, workflowId, options.reason);
        console.log(`Sent cancel to ${workflowId}`);
      });
    });
}
