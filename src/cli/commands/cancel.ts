// `client cancel <workflowId>`: asks the run to stop; it terminates the Batch job itself, then
// cleans up per its policy.
import type { Command } from 'commander';
import { cancelSignal } from '../../transcode';
import { openRun, withClient } from '../session';

export function addCancelCommand(cli: Command): void {
  cli
    .command('cancel <workflowId>')
    .description('stop the run: terminate the Batch job, then clean up per the policy')
    .option('--reason <text>', 'why', 'cancelled from the client')
    .action(async (workflowId: string, options: { reason: string }) => {
      await withClient(async (client) => {
        const handle = await openRun(client, workflowId);
        await handle.signal(cancelSignal, { reason: options.reason });
        console.log(`Sent cancel to ${workflowId}`);
      });
    });
}
