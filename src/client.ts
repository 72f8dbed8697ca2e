// `npm run client -- <command>`: start, watch, inspect and steer transcode runs.
import readline from 'node:readline/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ConfigError, loadConfig, temporalConnection, type AppConfig } from './config';
import { inputDetails, inputFromOptions, type StartOptions } from './client/options';
import { resultSummary } from './client/format';
import { watchRun } from './client/watch';
import { InvalidInputError, planTranscode } from './workflows/transcode/input';
import { approveCleanupSignal, cancelSignal, progressQuery } from './workflows/transcode/messages';
import type { Progress } from './workflows/transcode/progress';
import { transcodePhaseKey } from './workflows/search-attributes';
import type { transcodeWorkflow, TranscodeResult } from './workflows/transcode/workflow';
import { dataConverter } from './payload-codec';

type TranscodeHandle = WorkflowHandle<typeof transcodeWorkflow>;

/** Exit codes: 0 success, 1 the run failed or did not fully succeed, 2 bad usage or input. */
class UsageError extends Error {}

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

export function webUiLink(config: AppConfig, workflowId: string, namespace: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

async function withClient<T>(
  fn: (client: Client, config: AppConfig, namespace: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const { connectionOptions, namespace } = temporalConnection(config);
  const connection = await Connection.connect(connectionOptions);
  try {
    return await fn(new Client({ connection, namespace, dataConverter }), config, namespace);
  } finally {
    await connection.close();
  }
}

function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value) : text);
}

/** Asks on a TTY whether to delete the job and pool (default yes), then signals the answer. */
export async function askCleanup(handle: TranscodeHandle, progress: Progress): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (
      await rl.question(`\nDelete job ${progress.job.id} and pool ${progress.pool.id}? [Y/n] `)
    )
      .trim()
      .toLowerCase();
    const remove = answer === '' || answer.startsWith('y');
    await handle.signal(approveCleanupSignal, { deleteJob: remove, deletePool: remove });
  } finally {
    rl.close();
  }
}

export async function waitAndReport(
  handle: TranscodeHandle,
  config: AppConfig,
  namespace: string,
  json: boolean,
  interactive: boolean,
  /** More to report once the run ended (the demo adds the emulator's statistics). */
  appendix?: () => Promise<{ json: Record<string, unknown>; text: string }>,
): Promise<number> {
  const link = webUiLink(config, handle.workflowId, namespace);
  try {
    const result: TranscodeResult = await watchRun(handle, {
      json,
      tty: Boolean(process.stdout.isTTY),
      onCleanupDecision: interactive ? (progress) => askCleanup(handle, progress) : undefined,
    });
    const extra = await appendix?.();
    print(
      json,
      { workflowId: handle.workflowId, webUi: link, result, ...extra?.json },
      resultSummary(result, link) + (extra ? `\n${extra.text}` : ''),
    );
    return result.status === 'succeeded' ? 0 : 1;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
      print(
        json,
        { workflowId: handle.workflowId, webUi: link, error: cause },
        `Run failed: ${cause}\n  Web UI: ${link}`,
      );
      return 1;
    }
    throw err;
  }
}

function program(): Command {
  const cli = new Command('client').description(
    'Start and steer durable Azure Batch transcode runs.',
  );

  cli
    .command('start')
    .description('start a run (ids, pool and cleanup default to the tutorial’s settings)')
    .option('--input <dir>', 'folder of files to convert, on the worker’s machine')
    .option('--blob-container <name>', 'use inputs already uploaded to this container instead')
    .option('--blob-prefix <prefix>', 'with --blob-container: only blobs under this prefix')
    .option('--pattern <glob>', 'file-name pattern', '*.mp4')
    .option('--extension <ext>', 'output extension', 'mp3')
    .option('--command <template>', 'command per file, with {input} and {output}')
    .option('--download <dir>', 'download the outputs to this folder')
    .option('--workflow-id <id>', 'workflow id (default transcode-<time>)')
    .option('--pool-id <id>', 'id of the pool to create')
    .option('--existing-pool <id>', 'run on this existing pool (never deleted)')
    .option('--vm-size <size>', 'VM size', undefined)
    .option('--dedicated <n>', 'dedicated nodes', int)
    .option('--low-priority <n>', 'low-priority nodes', int)
    .option('--slots-per-node <n>', 'task slots per node', int)
    .option('--job-id <id>', 'job id')
    .option('--timeout <minutes>', 'task timeout in minutes (default 30)', num)
    .addOption(
      new Option('--cleanup <policy>', 'cleanup policy').choices(['ask', 'always', 'never']),
    )
    .option(
      '--decision-timeout <minutes>',
      'with --cleanup ask: how long to wait for a decision',
      num,
    )
    .addOption(
      new Option('--default-decision <d>', 'with --cleanup ask: default').choices([
        'delete',
        'keep',
      ]),
    )
    .option('--wait', 'wait for the run, showing progress', false)
    .option('--json', 'machine-readable output', false)
    .action(
      async (options: StartOptions & { workflowId?: string; wait: boolean; json: boolean }) => {
        const input = inputFromOptions(options);
        const workflowId =
          options.workflowId ?? `transcode-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        try {
          planTranscode(workflowId, input); // the workflow validates again; this fails before starting
        } catch (err) {
          if (err instanceof InvalidInputError) throw new UsageError(err.message);
          throw err;
        }
        process.exitCode = await withClient(async (client, config, namespace) => {
          let handle: WorkflowHandleWithFirstExecutionRunId<typeof transcodeWorkflow>;
          try {
            handle = await client.workflow.start<typeof transcodeWorkflow>('transcodeWorkflow', {
              taskQueue: config.temporal.taskQueue,
              workflowId,
              args: [input],
              // Lets the run publish its phase, pool and job for filtering in the Web UI.
              typedSearchAttributes: [{ key: transcodePhaseKey, value: 'starting' }],
              staticDetails: inputDetails(input),
              staticSummary: `${input.input.localDir ?? input.input.blobContainer} → ${input.output?.extension ?? 'mp3'}`,
            });
          } catch (err) {
            if (err instanceof WorkflowExecutionAlreadyStartedError) {
              throw new UsageError(
                `A run with workflow id ${workflowId} is already running; nothing new was started. ` +
                  `Watch it with: npm run client -- watch ${workflowId}`,
              );
            }
            throw err;
          }
          const link = webUiLink(config, workflowId, namespace);
          if (!options.wait) {
            print(
              options.json,
              { workflowId, runId: handle.firstExecutionRunId, webUi: link },
              `Started ${workflowId}\n  Web UI: ${link}`,
            );
            return 0;
          }
          if (!options.json) console.log(`Started ${workflowId}\n  Web UI: ${link}`);
          return await waitAndReport(
            handle,
            config,
            namespace,
            options.json,
            Boolean(process.stdin.isTTY) && !options.json,
          );
        });
      },
    );

  cli
    .command('watch <workflowId>')
    .description('show live progress until the run ends')
    .option('--json', 'JSON lines', false)
    .action(async (workflowId: string, options: { json: boolean }) => {
      process.exitCode = await withClient((client, config, namespace) =>
        waitAndReport(
          client.workflow.getHandle(workflowId),
          config,
          namespace,
          options.json,
          Boolean(process.stdin.isTTY) && !options.json,
        ),
      );
    });

  cli
    .command('status <workflowId>')
    .description('phase, counts, failures and resources of a run')
    .option('--json', 'machine-readable output', false)
    .action(async (workflowId: string, options: { json: boolean }) => {
      await withClient(async (client) => {
        const handle = client.workflow.getHandle<typeof transcodeWorkflow>(workflowId);
        const description = await handle.describe();
        const progress = await handle.query(progressQuery).catch(() => undefined);
        print(
          options.json,
          { workflowId, status: description.status.name, progress },
          `${workflowId}: ${description.status.name}\n${JSON.stringify(progress ?? {}, null, 2)}`,
        );
      });
    });

  cli
    .command('approve-cleanup <workflowId>')
    .description('let the run delete its job and pool (or keep them)')
    .option('--keep-job', 'keep the job', false)
    .option('--keep-pool', 'keep the pool', false)
    .option('--keep', 'keep both', false)
    .action(
      async (
        workflowId: string,
        options: { keepJob: boolean; keepPool: boolean; keep: boolean },
      ) => {
        await withClient(async (client) => {
          const decision = {
            deleteJob: !(options.keep || options.keepJob),
            deletePool: !(options.keep || options.keepPool),
          };
          await client.workflow.getHandle(workflowId).signal(approveCleanupSignal, decision);
          console.log(`Sent approveCleanup ${JSON.stringify(decision)} to ${workflowId}`);
        });
      },
    );

  cli
    .command('cancel <workflowId>')
    .description('stop the run: terminate the Batch job, then clean up per the policy')
    .option('--reason <text>', 'why', 'cancelled from the client')
    .action(async (workflowId: string, options: { reason: string }) => {
      await withClient(async (client) => {
        await client.workflow
          .getHandle(workflowId)
          .signal(cancelSignal, { reason: options.reason });
        console.log(`Sent cancel to ${workflowId}`);
      });
    });

  cli
    .command('result <workflowId>')
    .description('wait for the run to end and print its result')
    .option('--json', 'machine-readable output', false)
    .action(async (workflowId: string, options: { json: boolean }) => {
      process.exitCode = await withClient((client, config, namespace) =>
        waitAndReport(
          client.workflow.getHandle(workflowId),
          config,
          namespace,
          options.json,
          false,
        ),
      );
    });

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
