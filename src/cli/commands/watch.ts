// `client watch <workflowId>`: live progress until the run ends (asking about cleanup on a TTY).
import type { Command } from 'commander';
import { reportRun } from '../report';

export function addWatchCommand(cli: Command): void {
  cli
    .command('watch <workflowId>')
    .description('show live progress until the run ends')
    .option('--json', 'JSON lines', false)
    .action((workflowId: string, options: { json: boolean }) =>
      reportRun(workflowId, options.json, Boolean(process.stdin.isTTY) && !options.json),
    );
}
