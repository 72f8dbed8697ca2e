// Following a run to its end: live progress, the cleanup question on a TTY, then the result (or
// the failure) with the Web UI link, and the exit code that goes with it.
import readline from 'node:readline/promises';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { AppConfig } from '../config';
import {
  approveCleanupSignal,
  type Progress,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../transcode';
import { resultSummary } from './summary';
import { poolNodeLister } from './pool-nodes';
import { print, webUiLink, withClient } from './session';
import { watchRun } from './watch';

type TranscodeHandle = WorkflowHandle<TranscodeWorkflow>;

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
    const tty = Boolean(process.stdout.isTTY);
    const listNodes = tty && !json ? poolNodeLister(config) : undefined;
    const result: TranscodeResult = await watchRun(handle, {
      json,
      tty,
      nodes: listNodes && ((progress) => listNodes(progress.pool.id)),
      onCleanupDecision: interactive ? (progress) => askCleanup(handle, progress) : undefined,
    });
    const extra = await appendix?.();
    print(
      json,
      { workflowId: handle.workflowId, webUi: link, result, ...extra?.json },
      resultSummary(result, link, handle.workflowId) + (extra ? `\n${extra.text}` : ''),
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

/** Connects, follows the run with this id to its end and sets the exit code from its result. */
export async function reportRun(
  workflowId: string,
  json: boolean,
  interactive: boolean,
): Promise<void> {
  process.exitCode = await withClient((client, config, namespace) =>
    waitAndReport(client.workflow.getHandle(workflowId), config, namespace, json, interactive),
  );
}
