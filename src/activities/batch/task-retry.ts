// The watch's side of task retries (rules in src/transcode/task-retry.ts): the failed tasks with
// why they failed, and a failed task made to run again (Batch's Reactivate Task).
import type { BatchServiceModels } from '@azure/batch';
import type { FailedTaskSeen } from '../../transcode';
import { statusOf, toActivityFailure } from '../errors';
import type { BatchClients } from './clients';
import { FAILED, taskPages } from './results';

function httpStatusOf(info: BatchServiceModels.TaskFailureInformation | undefined) {
  const text = info?.details?.find((d) => d.name === 'HttpStatusCode')?.value;
  const status = text === undefined ? NaN : Number(text);
  return Number.isInteger(status) ? status : undefined;
}

/** The job's failed tasks: ids, failure codes and when their try ended. */
export async function listFailedTasks(
  batch: BatchClients['batch'],
  jobId: string,
): Promise<FailedTaskSeen[]> {
  const failed: FailedTaskSeen[] = [];
  for await (const page of taskPages(batch, jobId, FAILED, 'id,executionInfo')) {
    for (const task of page) {
      const info = task.executionInfo;
      // Ended by a job terminate (timeout or cancel): not a failure to retry.
      if (!task.id || info?.failureInfo?.code === 'TaskEnded') continue;
      failed.push({
        taskId: task.id,
        code: info?.failureInfo?.code,
        httpStatus: httpStatusOf(info?.failureInfo),
        endMs: info?.endTime ? new Date(info.endTime).getTime() : undefined,
      });
    }
  }
  return failed;
}

/**
 * Runs a failed task again. Batch refuses a task that is not a completed failure any more (409):
 * reactivated already, by an earlier attempt of this activity, so that counts as done.
 */
export async function reactivateTask(
  batch: BatchClients['batch'],
  jobId: string,
  taskId: string,
): Promise<void> {
  try {
    await batch.task.reactivate(jobId, taskId);
  } catch (err) {
    if (statusOf(err) === 409) return;
    toActivityFailure(err, `reactivate task ${taskId} of job ${jobId}`);
  }
}
