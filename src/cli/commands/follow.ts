// `client watch <workflowId>`: live progress until the run ends (asking about cleanup on a TTY,
// with the pool's heatmap under the progress line), or with --web a live page of the run;
// `client result <workflowId>`: waits for the run to end and prints its result (never asks).
import type { Command } from 'commander';

// The live page and the watcher (Temporal's client, the Azure SDKs) load only when run.
const reportRun = async (workflowId: string, json: boolean, interactive: boolean) =>
  (await import('../report.js')).reportRun(workflowId, json, interactive);

interface FollowOptions {
  json: boolean;
  web?: boolean;
  host?: string;
  port?: string;
  token?: string;
}

function addFollowCommand(cli: Command, name: string, description: string, json: string): Command {
  return cli.command(`${name} <workflowId>`).description(description).option('--json', json, false);
}

export function addWatchCommand(cli: Command): void {
  addFollowCommand(cli, 'watch', 'show live progress until the run ends', 'JSON lines')
    .option('--web', 'serve a live page of the run (pool heatmap, tasks, buttons) instead')
    .option('--host <address>', 'with --web: address to listen on', '127.0.0.1')
    .option('--port <n>', 'with --web: port (0: any free port)', '0')
    .option('--token <secret>', 'with --web: required by every request (needed off loopback)')
    .action(async (workflowId: string, options: FollowOptions) =>
      options.web
        ? (await import('../../web/watch-web.js')).serveRunWeb(workflowId, {
            host: options.host ?? '127.0.0.1',
            port: Number(options.port ?? 0),
            token: options.token,
          })
        : reportRun(workflowId, options.json, Boolean(process.stdin.isTTY) && !options.json),
    );
}

export function addResultCommand(cli: Command): void {
  addFollowCommand(
    cli,
    'result',
    'wait for the run to end and print its result',
    'machine-readable output',
  ).action((workflowId: string, options: FollowOptions) =>
    reportRun(workflowId, options.json, false),
  );
}
