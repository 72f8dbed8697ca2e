// `client watch <workflowId>`: live progress until the run ends (asking about cleanup on a TTY);
// `client result <workflowId>`: waits for the run to end and prints its result (never asks).
import type { Command } from 'commander';
import { reportRun } from '../report';

function addFollowCommand(
  cli: Command,
  name: string,
  description: string,
  json: string,
  ask: (json: boolean) => boolean,
): void {
  cli
    .command(`${name} <workflowId>`)
    .description(description)
    .option('--json', json, false)
    .action((workflowId: string, options: { json: boolean }) =>
      reportRun(workflowId, options.json, ask(options.json)),
    );
}

export function addWatchCommand(cli: Command): void {
  addFollowCommand(
    cli,
    'watch',
    'show live progress until the run ends',
    'JSON lines',
    (json) => Boolean(process.stdin.isTTY) && !json,
  );
}

export function addResultCommand(cli: Command): void {
  addFollowCommand(
    cli,
    'result',
    'wait for the run to end and print its result',
    'machine-readable output',
    () => false,
  );
}
