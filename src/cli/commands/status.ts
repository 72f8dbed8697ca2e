// `client status <workflowId>`: how a run stands, once — a completed run as its result says it,
// any other as its progress query says it (`--json`: Temporal's status and the progress).
import type { Command } from 'commander';
import { progressQuery, type TranscodeResult } from '../../transcode';
import { runStatusText } from '../summary';
import { describeRun, print, webUiLink, withClient } from '../session';

export function addStatusCommand(cli: Command): void {
  cli
    .command('status <workflowId>')
    .description('phase, counts, failures and resources of a run')
    .option('--json', 'machine-readable output', false)
    .action(async (workflowId: string, options: { json: boolean }) => {
      await withClient(async (client, config, namespace) => {
        const { handle, status } = await describeRun(client, workflowId);
        const progress = await handle.query(progressQuery).catch(() => undefined);
        let result: TranscodeResult | undefined;
        let error: string | undefined;
        // An ended run answers at once: its result, or why it has none.
        if (!options.json && status !== 'RUNNING') {
          try {
            result = await handle.result();
          } catch (err) {
            const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
            error = cause instanceof Error ? cause.message : String(cause);
          }
        }
        print(
          options.json,
          { workflowId, status, progress },
          runStatusText({
            workflowId,
            status,
            progress,
            result,
            error,
            uiLink: webUiLink(config, workflowId, namespace),
          }),
        );
      });
    });
}
