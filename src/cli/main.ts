// `npm run client -- <command>`: start, watch, inspect and steer transcode runs. Each command
// lives in src/cli/commands; this builds the program and turns errors into exit codes.
import { Command } from 'commander';
import { ConfigError } from '../config';
import { addApproveCleanupCommand } from './commands/approve-cleanup';
import { addCancelCommand } from './commands/cancel';
import { addResultCommand } from './commands/result';
import { addStartCommand } from './commands/start';
import { addStatusCommand } from './commands/status';
import { addWatchCommand } from './commands/watch';
import { UsageError } from './session';

function program(): Command {
  const cli = new Command('client').description(
    'Start and steer durable Azure Batch transcode runs.',
  );
  for (const add of [
    addStartCommand,
    addWatchCommand,
    addStatusCommand,
    addApproveCleanupCommand,
    addCancelCommand,
    addResultCommand,
  ]) {
    add(cli);
  }
  return cli;
}

if (require.main === module) {
  program()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      if (err instanceof UsageError || err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    });
}
