// `client result <workflowId>`: waits for the run to end and prints its result (never asks).
import type { Command } from 'commander';
import { reportRun } from '../report';

export function addResultCommand(cli: Command): void {
  cli
    .command('result <workflowId>')
    .description('wait for the run to end and print its result')
    .option('--json', 'machine-readable output', false)
    .action((workflowId: string, options: { json: boolean }) =>
      reportRun(workflowId, options.json, false),
    );
}
