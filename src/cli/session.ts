// What every command of the client shares: a connected Temporal client (closed at the end), one
// way to print (text or JSON), and the error that means bad usage.
import type { Client } from '@temporalio/client';
import type { TranscodeWorkflow } from '../transcode';
import { loadConfig, temporalConnection, type AppConfig } from '../config';
import { dataConverter } from '../payload-codec';
import { explainConnectFailure } from '../temporal-connect-error';

/** Exit codes: 0 success, 1 the run failed or did not fully succeed, 2 bad usage or input. */
export class UsageError extends Error {}

export async function withClient<T>(
  fn: (client: Client, config: AppConfig, namespace: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  // Temporal's client is the heaviest module here: loaded by the commands that connect, when they do.
  const { Client, Connection } = await import('@temporalio/client');
  const { connectionOptions, namespace } = temporalConnection(config);
  // grpc-js says only "Failed to connect before the deadline": name the cause (TLS, address).
  const connection = await Connection.connect(connectionOptions).catch(async (err: unknown) => {
    throw await explainConnectFailure(err, connectionOptions);
  });
  try {
    return await fn(new Client({ connection, namespace, dataConverter }), config, namespace);
  } finally {
    await connection.close();
  }
}

/** The run's page in the Temporal Web UI. */
export function webUiLink(config: AppConfig, workflowId: string, namespace: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value) : text);
}

/**
 * A run's handle and status; an unknown id is a usage error with one line saying so (and
 * `unknownSuffix`, e.g. what was not done), not a stack trace.
 */
export async function describeRun(client: Client, workflowId: string, unknownSuffix = '') {
  const handle = client.workflow.getHandle<TranscodeWorkflow>(workflowId);
  const { WorkflowNotFoundError } = await import('@temporalio/client');
  try {
    return { handle, status: (await handle.describe()).status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new UsageError(
        `No run ${workflowId} in this namespace: check the id (the start command printed it).` +
          unknownSuffix,
      );
    }
    throw err;
  }
}

/**
 * A run that can still take a message: an unknown id or a run that already ended is a usage
 * error with one line saying which (and what to do), not a stack trace.
 */
export async function openRun(client: Client, workflowId: string) {
  const { handle, status } = await describeRun(client, workflowId);
  if (status !== 'RUNNING') {
    throw new UsageError(
      `Run ${workflowId} has already ended (${status.toLowerCase()}): nothing to send. ` +
        `\`npm run client -- result ${workflowId}\` shows how it ended.`,
    );
  }
  return handle;
}
