// `npm run client -- <command>`: start, watch, inspect and steer transcode runs. Each command
// lives in src/cli/commands; this builds the program and turns errors into exit codes.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config';
import { TemporalUnreachableError } from '../temporal-connect-error';
import { addApproveCleanupCommand } from './commands/approve-cleanup';
import { addCancelCommand } from './commands/cancel';
import { addResultCommand, addWatchCommand } from './commands/follow';
import { addRetryCommand } from './commands/retry';
import { addStartCommand } from './commands/start';
import { addStatusCommand } from './commands/status';
import { addSweepCommand } from './commands/sweep';
import { UsageError } from './session';

function program(): Command {
  // Usage errors the parser finds exit 2 like ours (commander's own exit code is 1).
  const cli = new Command('client')
    .description('Start and steer durable Azure Batch transcode runs.')
    .exitOverride();
  for (const add of [
    addStartCommand,
    addRetryCommand,
    addWatchCommand,
    addStatusCommand,
    addApproveCleanupCommand,
    addCancelCommand,
    addResultCommand,
    addSweepCommand,
  ]) {
    add(cli);
  }
  return cli;
}

if (require.main === module) {
  program()
    .parseAsync(process.argv)
    .catch(async (err: unknown) => {
      if (err instanceof CommanderError) {
        // Help and version end here too, with 0; commander has printed its message already.
        process.exit(err.exitCode === 0 ? 0 : 2);
      }
      if (err instanceof UsageError || err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      // Loaded only now: a command that never reached Temporal need not pay for its client.
      const { WorkflowNotFoundError } = await import('@temporalio/client');
      if (err instanceof WorkflowNotFoundError) {
        console.error(`No such run: ${err.workflowId ?? err.message}. Check the id.`);
        process.exit(2);
      }
      // Nothing to debug in our code: what to check is in the message.
      console.error(err instanceof TemporalUnreachableError ? err.message : err);
      process.exit(1);
    });
}
