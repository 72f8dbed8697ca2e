// `client start`: validates the input here (bad input exits 2 before anything starts), starts
// the run, and with --wait follows it to its end.
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import {
  TUTORIAL_DEFAULTS,
  InvalidInputError,
  planTranscode,
  transcodePhaseKey,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../../transcode';
import { inputDetails, inputFromOptions, parseMaxFailures, type StartOptions } from '../options';
import { waitAndReport, webUiLink } from '../report';
import { print, UsageError, withClient } from '../session';

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

type Options = StartOptions & { workflowId?: string; wait: boolean; json: boolean };

async function start(options: Options): Promise<void> {
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
}

export function addStartCommand(cli: Command): void {
  cli
    .command('start')
    .description('start a run (ids, pool and cleanup default to the tutorial’s settings)')
    .option('--input <dir>', 'folder of files to convert, on the worker’s machine')
    .option('--blob-container <name>', 'use inputs already uploaded to this container instead')
    .option('--blob-prefix <prefix>', 'with --blob-container: only blobs under this prefix')
    .option('--pattern <glob>', 'file-name pattern', TUTORIAL_DEFAULTS.pattern)
    .option('--extension <ext>', 'output extension', TUTORIAL_DEFAULTS.extension)
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
    .option('--wait', 'wait for the run, showing progress', false)
    .option('--json', 'machine-readable output', false)
    .action(start);
}
