// What the tasks came to: which succeeded, which failed (with their reasons and stderr tail),
// which did not finish.
import type { BatchServiceModels } from '@azure/batch';
import { describeError, redactSas, toActivityFailure } from '../errors';
import { STDERR_UNAVAILABLE, type FailedTask } from '../../transcode';
import { lower, type BatchClients } from './clients';

async function readStreamTail(
  stream: NodeJS.ReadableStream | undefined,
  maxChars: number,
): Promise<string> {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > maxChars * 4) text = text.slice(-maxChars * 2);
  }
  return text.slice(-maxChars);
}

/** How much of a failed task's stderr a result carries, and for how many failed tasks. */
const STDERR_TAIL_CHARS = 1500;
const STDERR_TAILS = 50;
const STDERR_READS_AT_ONCE = 8;

/** A failed task's logs as Batch kept them in the output container (see `taskLogsPrefix`). */
export interface KeptLogs {
  /** The folder of a task's stdout.txt and stderr.txt in the output container. */
  folderOf(taskId: string): string;
  /** About the last `maxBytes` of one of them; undefined when it was not kept. */
  tail(blobName: string, maxBytes: number): Promise<string | undefined>;
}

/** What the tasks of a job came to: succeeded counted, failed and unfinished by id. */
export interface TaskOutcomes {
  succeeded: number;
  failed: FailedTask[];
  unfinished: string[];
}

/**
 * The tasks that completed with success. Batch filters on `executionInfo/result` (its own
 * samples list failed tasks with `executionInfo/result eq 'failure'`).
 */
const SUCCEEDED = "state eq 'completed' and executionInfo/result eq 'success'";
/** Every other task: not completed yet, or completed with failure (terminated ones too). */
const NOT_SUCCEEDED = "state ne 'completed' or executionInfo/result eq 'failure'";
/** The tasks that completed with failure. */
export const FAILED = "state eq 'completed' and executionInfo/result eq 'failure'";

/** The job's tasks that match `filter`, a page of 1,000 at a time, with only `select`. */
export async function* taskPages(
  batch: BatchClients['batch'],
  jobId: string,
  filter: string,
  select: string,
  pageSize = 1000,
): AsyncIterable<BatchServiceModels.CloudTask[]> {
  try {
    let page = await batch.task.list(jobId, {
      taskListOptions: { filter, select, maxResults: pageSize },
    });
    for (;;) {
      yield page;
      if (!page.odatanextLink) return;
      page = await batch.task.listNext(page.odatanextLink);
    }
  } catch (err) {
    toActivityFailure(err, `list tasks of job ${jobId}`);
  }
}

/**
 * Ids of the job's tasks that succeeded, page by page: only their ids cross the wire, so even
 * a hundred thousand of them is a light listing.
 */
export async function* succeededTaskIdPages(
  batch: BatchClients['batch'],
  jobId: string,
): AsyncIterable<string[]> {
  for await (const page of taskPages(batch, jobId, SUCCEEDED, 'id')) {
    yield page.flatMap((task) => (task.id ? [task.id] : []));
  }
}

/** Id of one task of the job that succeeded (one short request), if any did. */
export async function firstSucceededTaskId(
  batch: BatchClients['batch'],
  jobId: string,
): Promise<string | undefined> {
  for await (const page of taskPages(batch, jobId, SUCCEEDED, 'id', 1)) {
    if (page[0]?.id) return page[0].id;
  }
  return undefined;
}

/**
 * What the tasks came to: the failed and unfinished ones in full (usually few), the succeeded
 * ones by id only; stderr tails for the first failures, from their kept logs when given.
 */
export async function listTaskOutcomes(
  batch: BatchClients['batch'],
  jobId: string,
  onPage: () => void = () => {},
  kept?: KeptLogs,
): Promise<TaskOutcomes> {
  const failed: FailedTask[] = [];
  const unfinished = new Set<string>();
  for await (const page of taskPages(batch, jobId, NOT_SUCCEEDED, 'id,state,executionInfo')) {
    onPage();
    for (const task of page) {
      const id = task.id ?? '';
      if (lower(task.state) !== 'completed') unfinished.add(id);
      // Ended by a job terminate (timeout or cancel): it did not finish, it did not fail.
      else if (task.executionInfo?.failureInfo?.code === 'TaskEnded') unfinished.add(id);
      else {
        failed.push({
          taskId: id,
          inputBlob: '', // the caller knows which file each task converted
          exitCode: task.executionInfo?.exitCode,
          failureCode: task.executionInfo?.failureInfo?.code,
          failureMessage: task.executionInfo?.failureInfo?.message,
        });
      }
    }
  }
  let succeeded = 0;
  for await (const ids of succeededTaskIdPages(batch, jobId)) {
    onPage();
    succeeded += ids.length;
    // Still running during the first listing, succeeded by this one: counted once, here.
    for (const id of ids) unfinished.delete(id);
  }
  // A few at a time: up to two requests each, a round trip apiece on Azure.
  const tailed = failed.slice(0, STDERR_TAILS);
  for (let i = 0; i < tailed.length; i += STDERR_READS_AT_ONCE) {
    await Promise.all(
      tailed.slice(i, i + STDERR_READS_AT_ONCE).map(async (failure) => {
        failure.stderrTail = await stderrTail(batch, jobId, failure, kept);
      }),
    );
  }
  return { succeeded, failed, unfinished: [...unfinished].sort() };
}

/**
 * The end of a failed task's stderr: the copy kept in the output container first (the node that
 * ran the task may be gone: a shrunk pool, a preempted Spot node), else the node's own file.
 */
async function stderrTail(
  batch: BatchClients['batch'],
  jobId: string,
  failure: FailedTask,
  kept: KeptLogs | undefined,
): Promise<string> {
  let keptAnswer = '';
  if (kept) {
    const folder = kept.folderOf(failure.taskId);
    try {
      const tail = await kept.tail(`${folder}/stderr.txt`, STDERR_TAIL_CHARS);
      if (tail !== undefined) {
        failure.logs = folder;
        return redactSas(tail.slice(-STDERR_TAIL_CHARS));
      }
      keptAnswer = 'no copy kept in the output container; ';
    } catch (err) {
      keptAnswer = `the copy kept in the output container: ${describeError(err)}; `;
    }
  }
  try {
    const file = await batch.file.getFromTask(jobId, failure.taskId, 'stderr.txt');
    return redactSas(await readStreamTail(file.readableStreamBody, STDERR_TAIL_CHARS));
  } catch (err) {
    return `${STDERR_UNAVAILABLE}${keptAnswer}the node's: ${describeError(err)})`;
  }
}

export function createResultActivities({ batch }: BatchClients) {
  return {
    /** Failed tasks with their reasons and stderr tail, and the tasks that did not finish. */
    async collectTaskResults(args: { jobId: string }): Promise<TaskOutcomes> {
      return listTaskOutcomes(batch, args.jobId);
    },
  };
}
