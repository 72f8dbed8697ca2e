// `client watch <workflowId> --web`: serves the run's live page until Ctrl-C. The buttons send
// the run's own signals through the client's approve-cleanup and cancel code; the node list is
// read here, with this machine's Azure settings (the worker's AZURE_* variables on real Azure).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sendApproveCleanup } from '../cli/commands/approve-cleanup';
import { sendCancel } from '../cli/commands/cancel';
import { poolNodeLister } from '../cli/pool-nodes';
import { UsageError, withClient } from '../cli/session';
import type { TranscodeWorkflow } from '../transcode';
import { RunMonitor } from './monitor';
import { ActionRefused, isLoopback, serveRunPage, type RunActions } from './server';

export interface WebOptions {
  host: string;
  port: number;
  token?: string;
  /** Between refreshes of the shared view. */
  refreshMs?: number;
}

/** Bad flags are a usage error before anything connects. */
export function checkWebOptions(options: WebOptions): void {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (got ${options.port}).`);
  }
  if (!isLoopback(options.host) && !options.token) {
    throw new UsageError(
      `--host ${options.host} would show the run and its buttons to other machines: ` +
        'add --token <secret> (at least 16 characters), which the page link then carries.',
    );
  }
  if (options.token !== undefined && options.token.length < 16) {
    throw new UsageError('--token must be at least 16 characters.');
  }
}

function actionsFor(client: Client, workflowId: string): RunActions {
  // openRun's UsageError (ended or unknown run) is the person's to act on: a 409, not a 500.
  const refused = (err: unknown): never => {
    throw err instanceof UsageError ? new ActionRefused(err.message) : err;
  };
  return {
    async approveCleanup(keep) {
      const decision = await sendApproveCleanup(client, workflowId, keep).catch(refused);
      return `Sent approveCleanup ${JSON.stringify(decision)} to ${workflowId}`;
    },
    async cancel(reason) {
      await sendCancel(client, workflowId, reason).catch(refused);
      return `Sent cancel (${reason}) to ${workflowId}`;
    },
  };
}

/** Serves the page until SIGINT or SIGTERM; an unknown run is a usage error and serves nothing. */
export async function serveRunWeb(workflowId: string, options: WebOptions): Promise<void> {
  checkWebOptions(options);
  await withClient(async (client, config) => {
    const handle = client.workflow.getHandle<TranscodeWorkflow>(workflowId);
    try {
      await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new UsageError(
          `No run ${workflowId} in this namespace: check the id (the start command printed it).`,
        );
      }
      throw err;
    }
    const monitor = new RunMonitor(handle, poolNodeLister(config), options.refreshMs);
    const server = await serveRunPage(monitor, actionsFor(client, workflowId), options);
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log(`Live page of ${workflowId}: ${server.url}  (Ctrl-C stops it)`);
    void monitor.start();
    await stopped;
    monitor.stop();
    await server.close();
  });
}
