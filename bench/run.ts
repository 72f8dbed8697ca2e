// Runs one transcode workflow on the bench's stack and measures it: wall time as the client
// sees it, when its outputs were verified (from the history), its result, progress and history.
import type { Client } from '@temporalio/client';
import {
  progressQuery,
  type TranscodeInput,
  type Progress,
  type TranscodeResult,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../src/transcode';
import { chainHistory, type ChainHistory } from './history';
import type { ActivityClients } from '../src/activities';

export interface MeasuredRun {
  workflowId: string;
  result: TranscodeResult;
  progress: Progress;
  history: ChainHistory;
  /** Client clock before start() and when result() returned. */
  startMs: number;
  endMs: number;
  /** When the outputs were verified (server clock, same machine): every output is stored. */
  outputsVerifiedMs: number;
}

/**
 * Starts the workflow, waits for its result and reads its history. The output container (which
 * the workflow keeps, by design) is deleted afterwards: Azurite slows down as blobs pile up, and
 * 10,000 leftover outputs would slow every later section.
 */
export async function runTranscode(
  client: Client,
  taskQueue: string,
  name: string,
  input: TranscodeInput,
  storage?: ActivityClients['storage'],
): Promise<MeasuredRun> {
  const workflowId = `bench-${name}-${Date.now()}`;
  const startMs = Date.now();
  const handle = await client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
    taskQueue,
    workflowId,
    args: [input],
  });
  const result = await handle.result();
  const endMs = Date.now();
  const progress = await handle.query(progressQuery);
  const history = await chainHistory(client, workflowId, progress.continuedAsNew + 1);
  // Outputs are verified by verifyOutputs, or with the manifest inside collectRunResults.
  const verify = history.activities.find(
    (a) => a.type === 'verifyOutputs' || a.type === 'collectRunResults',
  );
  await storage?.blobService.getContainerClient(result.outputContainer).deleteIfExists();
  return {
    workflowId,
    result,
    progress,
    history,
    startMs,
    endMs,
    outputsVerifiedMs: verify?.closedMs ?? endMs,
  };
}

/** Fails loudly when a run did not do what the benchmark assumes: every task succeeded, every output stored. */
export function expectSucceeded(run: MeasuredRun, outputs: number): void {
  const { status, counts, outputCount, missingOutputs, message } = run.result;
  if (
    status !== 'succeeded' ||
    counts.succeeded !== outputs ||
    outputCount !== outputs ||
    missingOutputs.length > 0
  ) {
    throw new Error(
      `run ${run.workflowId} ended ${status} with ${counts.succeeded} of ${outputs} tasks ` +
        `succeeded and ${missingOutputs.length} outputs missing: ${message}`,
    );
  }
}
