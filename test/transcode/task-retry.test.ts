import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  countsWithRetries,
  isTransientTaskFailure,
  NO_TASK_RETRIES,
  planTaskRetries,
  TASK_RETRY,
  type FailedTaskSeen,
} from '../../src/transcode';

const failedAt = (
  taskId: string,
  code: string,
  endMs = 0,
  httpStatus?: number,
): FailedTaskSeen => ({
  taskId,
  code,
  endMs,
  ...(httpStatus !== undefined ? { httpStatus } : {}),
});

test('only a task’s own transfers that a later try can fix are transient', () => {
  assert.equal(isTransientTaskFailure(failedAt('a', 'BlobDownloadMiscError')), true);
  assert.equal(isTransientTaskFailure(failedAt('a', 'BlobDownloadMiscError', 0, 503)), true);
  assert.equal(isTransientTaskFailure(failedAt('a', 'FileUploadMiscError', 0, 500)), true);
  assert.equal(isTransientTaskFailure(failedAt('a', 'BlobDownloadTimedOut')), true);
  // A SAS refused or a container gone stays so.
  assert.equal(isTransientTaskFailure(failedAt('a', 'FileUploadMiscError', 0, 403)), false);
  assert.equal(isTransientTaskFailure(failedAt('a', 'BlobDownloadMiscError', 0, 404)), false);
  assert.equal(isTransientTaskFailure(failedAt('a', 'BlobNotFound')), false);
  assert.equal(isTransientTaskFailure(failedAt('a', 'BlobAccessDenied')), false);
  // The command's own failure (nonzero exit) is Batch's to retry, per maxTaskRetryCount.
  assert.equal(isTransientTaskFailure({ taskId: 'a' }), false);
  assert.equal(isTransientTaskFailure(failedAt('a', 'CommandProgramNotFound')), false);
});

test('a transient failure is reactivated after a wait that doubles, then counts as failed', () => {
  const first = TASK_RETRY.firstDelayMs;
  const task = failedAt('t1', 'BlobDownloadMiscError', 1_000);
  const plan0 = planTaskRetries([task], NO_TASK_RETRIES, 1_000 + first - 1);
  assert.deepEqual(plan0, { now: [], waiting: ['t1'], nextDueMs: 1_000 + first, final: 0 });
  assert.deepEqual(planTaskRetries([task], NO_TASK_RETRIES, 1_000 + first).now, ['t1']);

  const once = { reactivated: { t1: 1 }, finalFailed: 0 };
  assert.deepEqual(planTaskRetries([task], once, 1_000 + first).waiting, ['t1']);
  assert.deepEqual(planTaskRetries([task], once, 1_000 + 2 * first).now, ['t1']);

  const spent = { reactivated: { t1: TASK_RETRY.perTask }, finalFailed: 0 };
  assert.deepEqual(planTaskRetries([task], spent, 1e12), { now: [], waiting: [], final: 1 });
});

test('failures of the command and of tasks beyond those followed are final', () => {
  const full = {
    reactivated: Object.fromEntries(
      Array.from({ length: TASK_RETRY.tasksFollowed }, (_, i) => [`x${i}`, 1]),
    ),
    finalFailed: 0,
  };
  const plan = planTaskRetries(
    [
      failedAt('new', 'FileUploadMiscError'),
      failedAt('x1', 'FileUploadMiscError'),
      failedAt('cmd', 'CommandLaunchFailed'),
      { taskId: 'exit1' },
    ],
    full,
    1e12,
  );
  assert.deepEqual(plan, { now: ['x1'], waiting: [], final: 3 });
});

test('tasks to be tried again count as waiting, not completed or failed', () => {
  const counts = { active: 1, running: 2, completed: 7, succeeded: 4, failed: 3 };
  assert.deepEqual(countsWithRetries(counts, 2), {
    active: 3,
    running: 2,
    completed: 5,
    succeeded: 4,
    failed: 1,
  });
  // Never more than the failed ones.
  assert.equal(countsWithRetries(counts, 9).failed, 0);
  assert.equal(countsWithRetries(counts, 9).completed, 4);
});
