// `client status <workflowId>`: the run's Temporal status and its progress query, once.
import type { Command } from 'commander';
import { progressQuery, usageText, type TranscodeWorkflow } from '../../transcode';
import { print, withClient } from '../session';

export function addStatusCommand(cli: Command): void {
  cli
    .command('status <workflowId>')
    .description('phase, counts, failures and resources of a run')
    .option('--json', 'machine-readable output', false)
    .action(async (workflowId: string, options: { json: boolean }) => {
      await withClient(async (client) => {
        const handle = client.workflow.getHandle<TranscodeWorkflow>(workflowId);
        const description = await handle.describe();
        const progress = await handle.query(progressQuery).catch(() => undefined);
        print(
          options.json,
          { workflowId, status: description.status.name, progress },
          `${workflowId}: ${description.status.name}\n${JSON.stringify(progress ?? {}, null, 2)}` +
            (progress?.usage ? `\n${usageText(progress.usage)}` : ''),
        );
      });
    });
}
