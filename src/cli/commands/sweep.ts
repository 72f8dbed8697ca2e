// `client sweep [--delete]`: pools and jobs our metadata says a workflow owns that is no longer
// running (closed, or unknown to the namespace) — what a terminated run left behind — and the
// input manifests such a run left under `_runs/<owner>/` (never its results nor outputs). Lists
// them; with --delete removes them, jobs first, then pools, then manifests.
import type { Command } from 'commander';
import type { Orphan } from '../orphans';
import { print, withClient } from '../session';

type Options = { delete: boolean; json: boolean; ownerPrefix?: string };

function line(o: Orphan, deleting: boolean): string {
  const outcome = !deleting ? '' : o.deleted ? '  deleted' : `  NOT deleted: ${o.error}`;
  const note = o.note ? ` — ${o.note}` : '';
  return `${o.kind.padEnd(4)}  ${o.id}  owner ${o.owner} (${o.state})${note}${outcome}`;
}

async function sweep(options: Options): Promise<void> {
  // The Azure SDKs load only for this command, not at every start of the client.
  const { createAzureClients } = await import('../../azure-clients.js');
  const { deleteOrphans, findOrphans } = await import('../orphans.js');
  process.exitCode = await withClient(async (client, config) => {
    const { batch, storage } = createAzureClients(config);
    const { blobService } = storage;
    const found = await findOrphans(batch, client, {
      ownerPrefix: options.ownerPrefix,
      blobService,
    });
    const { orphans } = found;
    if (options.delete) await deleteOrphans(batch, orphans, blobService);
    const failed = orphans.filter((o) => o.deleted === false).length;
    const count = (kind: string) => orphans.filter((o) => o.kind === kind).length;
    const summary =
      `${orphans.length} orphan(s) (${count('job')} job(s), ${count('pool')} pool(s), ` +
      `${count('manifest')} manifest(s))` +
      (options.delete ? `, ${orphans.length - failed} deleted, ${failed} failed` : '') +
      `; ${found.checked} pool(s), job(s) and manifest(s) checked, ${found.running} owned by a running ` +
      `workflow, ${found.unowned} without our metadata (never touched)` +
      (!options.delete && orphans.length ? '. Remove them with: sweep --delete' : '');
    print(
      options.json,
      {
        orphans,
        checked: found.checked,
        ownedByRunning: found.running,
        unowned: found.unowned,
        deleted: options.delete ? orphans.length - failed : 0,
        failed,
      },
      [...orphans.map((o) => line(o, options.delete)), summary].join('\n'),
    );
    return failed ? 1 : 0;
  });
}

export function addSweepCommand(cli: Command): void {
  cli
    .command('sweep')
    .description(
      'list pools, jobs and input manifests left by runs no longer running (--delete removes)',
    )
    .option('--delete', 'delete them: jobs, then pools, then manifests', false)
    .option('--owner-prefix <prefix>', 'only owners whose workflow id starts with this')
    .option('--json', 'machine-readable output', false)
    .action(sweep);
}
