// `client start`: validates the input here (bad input exits 2 before anything starts), starts
// the run, and with --wait follows it to its end.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { AppConfig } from '../../config';
import { livePageHint } from '../../web/hint';
import {
  TUTORIAL_DEFAULTS,
  InvalidInputError,
  planTranscode,
  transcodePhaseKey,
  type TranscodeInput,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../../transcode';
import { loadConfig } from '../../config';
import { inputDetails, inputFromOptions, parseMaxFailures, type StartOptions } from '../options';
import { print, UsageError, webUiLink, withClient } from '../session';

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

function maxFailures(value: string): string {
  try {
    parseMaxFailures(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function price(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('must be a price per node-hour, a number such as 0.05');
  }
  return n;
}

/** Prices not given as options come from the environment, checked the same way. */
function pricesFromEnv(options: StartOptions): StartOptions {
  const fromEnv = (name: string): number | undefined => {
    const text = process.env[name];
    if (text === undefined || text === '') return undefined;
    try {
      return price(text);
    } catch {
      throw new UsageError(`${name}=${text}: must be a price per node-hour, a number such as 0.05`);
    }
  };
  return {
    ...options,
    priceDedicated: options.priceDedicated ?? fromEnv('DURABLE_BATCH_PRICE_DEDICATED'),
    priceSpot: options.priceSpot ?? fromEnv('DURABLE_BATCH_PRICE_SPOT'),
    currency: options.currency ?? (process.env.DURABLE_BATCH_CURRENCY || undefined),
  };
}

type Options = StartOptions & { workflowId?: string; wait: boolean; json: boolean };

async function start(options: Options): Promise<void> {
  // The folder is on this machine (or the one --input-host names): only workers there read it.
  const inputHost = options.inputHost ?? (options.input ? loadConfig().worker.hostId : undefined);
  const input = inputFromOptions({ ...pricesFromEnv(options), inputHost });
  const workflowId =
    options.workflowId ?? `transcode-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    planTranscode(workflowId, input); // the workflow validates again; this fails before starting
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message);
    throw err;
  }
  process.exitCode = await withClient((client, config, namespace) =>
    launchRun({ client, config, namespace }, workflowId, input, options),
  );
}

/**
 * Starts a run of a valid input, then prints its id and Web UI link, or with `wait` follows it
 * to its end; the exit code. `retry` starts its runs here too.
 */
export async function launchRun(
  { client, config, namespace }: { client: Client; config: AppConfig; namespace: string },
  workflowId: string,
  input: TranscodeInput,
  options: { wait: boolean; json: boolean; note?: string; idReuse?: 'reject' },
): Promise<number> {
  // Loaded here rather than at start, so `--help` and the other commands skip them.
  const { WorkflowExecutionAlreadyStartedError } = await import('@temporalio/client');
  const { waitAndReport } = await import('../report.js');
  let handle: WorkflowHandleWithFirstExecutionRunId<TranscodeWorkflow>;
  try {
    handle = await client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [input],
      // Lets the run publish its phase, pool and job for filtering in the Web UI.
      typedSearchAttributes: [{ key: transcodePhaseKey, value: 'starting' }],
      staticDetails: inputDetails(input),
      staticSummary: `${input.input.localDir ?? input.input.blobContainer} → ${input.output?.extension ?? TUTORIAL_DEFAULTS.extension}`,
      ...(options.idReuse === 'reject' ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' } : {}),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UsageError(
        `A run with workflow id ${workflowId} ${options.idReuse ? 'already exists' : 'is already running'}; nothing new was started. ` +
          `Watch it with: npm run client -- watch ${workflowId}`,
      );
    }
    throw err;
  }
  const link = webUiLink(config, workflowId, namespace);
  const started =
    `Started ${workflowId}${options.note ? ` (${options.note})` : ''}\n  Web UI: ${link}` +
    `\n  ${livePageHint(workflowId)}`;
  if (!options.wait) {
    print(options.json, { workflowId, runId: handle.firstExecutionRunId, webUi: link }, started);
    return 0;
  }
  if (!options.json) console.log(started);
  return await waitAndReport(
    handle,
    config,
    namespace,
    options.json,
    Boolean(process.stdin.isTTY) && !options.json,
  );
}

export function addStartCommand(cli: Command): void {
  cli
    .command('start')
    .description('start a run (ids, pool and cleanup default to the tutorial’s settings)')
    .option('--input <dir>', 'folder of files to convert, on this machine (or --input-host’s)')
    .option(
      '--input-host <id>',
      'with --input: host id (DURABLE_BATCH_HOST_ID) of the workers that have the folder ' +
        '(default: this machine’s)',
    )
    .option('--blob-container <name>', 'use inputs already uploaded to this container instead')
    .option('--blob-prefix <prefix>', 'with --blob-container: only blobs under this prefix')
    .option('--pattern <glob>', 'file-name pattern', TUTORIAL_DEFAULTS.pattern)
    .option('--extension <ext>', 'output extension', TUTORIAL_DEFAULTS.extension)
    .option('--command <template>', 'command per file, with {input} and {output}')
    .option('--download <dir>', 'download the outputs to this folder')
    .option(
      '--output-container <name>',
      'output container (default: one per run); a later run into it reuses stored outputs',
    )
    .option('--force', 'convert every file, even those whose output is already stored', false)
    .option('--workflow-id <id>', 'workflow id (default transcode-<time>)')
    .option('--pool-id <id>', 'id of the pool to create')
    .option('--existing-pool <id>', 'run on this existing pool (never deleted)')
    .option('--vm-size <size>', 'VM size', undefined)
    .option('--dedicated <n>', 'dedicated nodes', int)
    .option('--low-priority <n>', 'low-priority nodes', int)
    .option('--slots-per-node <n>', 'task slots per node', int)
    .option('--job-id <id>', 'job id')
    .option(
      '--max-failures <N|N%>',
      'stop the run once more than N tasks (or N% of them) have failed',
      maxFailures,
    )
    .option('--task-retries <n>', "Batch's retries of a failed task (-1 unlimited; default 1)", int)
    .option(
      '--timeout <minutes>',
      `task timeout in minutes (default ${TUTORIAL_DEFAULTS.timeoutMinutes})`,
      num,
    )
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
    .option(
      '--keep-nodes-while-waiting',
      'with --cleanup ask: keep the nodes while the decision is awaited (default: pool resized to 0)',
    )
    .option(
      '--price-dedicated <per-hour>',
      'price of a dedicated node-hour, for the estimated cost (env DURABLE_BATCH_PRICE_DEDICATED)',
      price,
    )
    .option(
      '--price-spot <per-hour>',
      'price of a Spot/low-priority node-hour (env DURABLE_BATCH_PRICE_SPOT)',
      price,
    )
    .option('--currency <code>', 'currency of the prices, e.g. USD (env DURABLE_BATCH_CURRENCY)')
    .option('--wait', 'wait for the run, showing progress', false)
    .option('--json', 'machine-readable output', false)
    .action(start);
}
