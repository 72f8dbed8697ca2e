// What the tasks came to: which succeeded, which failed (with their reasons and stderr tail),
// which did not finish.
import { describeError, redactSas, toActivityFailure } from '../errors';
import type { FailedTask } from '../../transcode';
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

/** What the tasks of a job came to: succeeded counted, failed and unfinished by id. */
export interface TaskOutcomes {
  succeeded: number;
  failed: FailedTask[];
  unfinished: string[];
}

/** Every task of the job, a page of 1,000 at a time; stderr tails for the first 50 failures. */
export async function listTaskOutcomes(
  batch: BatchClients['batch'],
  jobId: string,
  onPage: () => void = () => {},
): Promise<TaskOutcomes> {
  let succeeded = 0;
  const failed: FailedTask[] = [];
  const unfinished: string[] = [];
  try {
    let page = await batch.task.list(jobId, {
      taskListOptions: { select: 'id,state,executionInfo', maxResults: 1000 },
    });
    for (;;) {
      onPage();
      for (const task of page) {
        const id = task.id ?? '';
        if (lower(task.state) !== 'completed') unfinished.push(id);
        // Ended by a job terminate (timeout or cancel): it did not finish, it did not fail.
        else if (task.executionInfo?.failureInfo?.code === 'TaskEnded') unfinished.push(id);
        else if (lower(task.executionInfo?.result) === 'success') succeeded++;
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
      if (!page.odatanextLink) break;
      page = await batch.task.listNext(page.odatanextLink);
    }
  } catch (err) {
    toActivityFailure(err, `list tasks of job ${jobId}`);
  }
  for (const failure of failed.slice(0, 50)) {
    try {
      const file = await batch.file.getFromTask(jobId, failure.taskId, 'stderr.txt');
      failure.stderrTail = redactSas(await readStreamTail(file.readableStreamBody, 1500));
    } catch (err) {
      failure.stderrTail = `(stderr.txt not available: ${describeError(err)})`;
    }
  }
  unfinished.sort();
  return { succeeded, failed, unfinished };
}

export function createResultActivities({ batch }: BatchClients) {
  return {
    /** Failed tasks with their reasons and stderr tail, and the tasks that did not finish. */
    async collectTaskResults(args: { jobId: string }): Promise<TaskOutcomes> {
      return listTaskOutcomes(batch, args.jobId);
    },
  };
}
