// `client retry <workflowId>`: a new run over the same inputs, into the same output container,
// not forced, so only the files whose task failed or whose output is missing are converted and
// the rest reused. An unknown or still-running run is refused (exit 2) and nothing is started.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { planTranscode, type TranscodeInput } from '../../transcode';
import { describeRun, UsageError, withClient } from '../session';
import { launchRun } from './start';

/** Temporal's client, loaded when this command runs (already there once connected). */
const loadTemporalClient = () => import('@temporalio/client');

/** How a retry's workflow id is derived: `<first run's id>-retry-<attempt>`. */
const RETRY_SUFFIX = /-retry-\d+$/;

/** The workflow id of retry number `attempt` of a run (a retry of a retry counts on). */
export function retryWorkflowId(workflowId: string, attempt: number): string {
  return `${workflowId.replace(RETRY_SUFFIX, '')}-retry-${attempt}`;
}

/**
 * The input of a retry: the old run's, into the output container that run wrote (named, since
 * a derived name differs per run), not forced, and with new ids for the job and pool (the old
 * ones may have been kept).
 */
export function retryInput(
  workflowId: string,
  input: TranscodeInput,
  firstExecutionRunId: string,
): TranscodeInput {
  const { outputContainer } = planTranscode(workflowId, input, firstExecutionRunId);
  const { force: _force, job: _job, ...rest } = input;
  const { id: _poolId, ...pool } = input.pool ?? {};
  return {
    ...rest,
    output: { ...input.output, container: outputContainer },
    ...(Object.keys(pool).length ? { pool } : {}),
  };
}

/** The input and first run id of a run that has ended; a usage error if unknown or running. */
async function endedRun(
  client: Client,
  workflowId: string,
): Promise<{ input: TranscodeInput; firstExecutionRunId: string }> {
  const { handle, status } = await describeRun(client, workflowId, ' Nothing was started.');
  if (status === 'RUNNING') {
    throw new UsageError(
      `Run ${workflowId} is still running: nothing was started. Wait for it to end ` +
        `(npm run client -- watch ${workflowId}) or cancel it, then retry.`,
    );
  }
  // The latest run of a continue-as-new chain starts with the same input as the first.
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  // Decoded as the client decodes any payload: its codecs, then its converter. Loaded here, as
  // Temporal's client is, so that `--help` and the other commands skip its protobuf modules.
  const { decodeArrayFromPayloads } =
    await import('@temporalio/common/lib/internal-non-workflow/index.js');
  const [input] = await decodeArrayFromPayloads(
    client.options.loadedDataConverter,
    started?.input?.payloads ?? [],
  );
  if (!started || input === undefined) {
    throw new UsageError(`Run ${workflowId} has no input in its history: it cannot be retried.`);
  }
  return {
    input: input as TranscodeInput,
    firstExecutionRunId: started.firstExecutionRunId ?? '',
  };
}

/** The first retry attempt whose workflow id no run has used yet. */
async function freeRetryId(client: Client, workflowId: string): Promise<string> {
  const { WorkflowNotFoundError } = await loadTemporalClient();
  for (let attempt = 1; ; attempt++) {
    const id = retryWorkflowId(workflowId, attempt);
    try {
      await client.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return id;
      throw err;
    }
  }
}

async function retry(workflowId: string, options: { wait: boolean; json: boolean }) {
  process.exitCode = await withClient(async (client, config, namespace) => {
    const old = await endedRun(client, workflowId);
    const input = retryInput(workflowId, old.input, old.firstExecutionRunId);
    const id = await freeRetryId(client, workflowId);
    return launchRun({ client, config, namespace }, id, input, {
      ...options,
      note: `retry of ${workflowId}: converts the files that failed or whose outputs are missing, into ${input.output?.container}`,
      idReuse: 'reject',
    });
  });
}

export function addRetryCommand(cli: Command): void {
  cli
    .command('retry <workflowId>')
    .description(
      'start a new run over the same inputs that converts only the files that failed or whose outputs are missing',
    )
    .option('--wait', 'wait for the run, showing progress', false)
    .option('--json', 'machine-readable output', false)
    .action(retry);
}
