// The Azure Batch ffmpeg tutorial as one durable workflow. Each step is a retryable activity
// in a file of its own; cleanup runs in a non-cancellable scope on success, failure and
// cancellation alike.
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  isCancellation,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import {
  failureReason,
  planTranscode,
  runBlobName,
  UPLOAD_PROGRESS_FILE,
  type TranscodeInput,
  type TranscodeResult,
} from '../../transcode';
import { cleanUp } from './cleanup';
import { failureMessage, rootCause } from './failures';
import { installHandlers } from './handlers';
import { inspectInputs } from './inspect';
import { outcome } from './outcome';
import { createPool, waitForPool } from './pool';
import { collectResults, deleteManifest, terminateJobIfStopped, type Outputs } from './results';
import { Run } from './run';
import { selectInputs } from './select';
import { stampOutputs } from './stamp';
import { newRunState, type RunState } from './state';
import { submitTasks } from './submit';
import { uploadInputs } from './upload';
import { waitForTasks } from './wait';

export async function transcodeWorkflow(
  input: TranscodeInput,
  resumed?: RunState,
): Promise<TranscodeResult> {
  const run = new Run(input, resumed ?? newRunState(plan(input), Date.now()));
  const steps = new CancellationScope();
  installHandlers(run, steps);

  let failure: unknown;
  let timedOut = false;
  try {
    timedOut = await steps.run(() => convert(run));
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    failure = err;
    // Stop whatever else the steps started (e.g. the pool wait beside a failed upload).
    steps.cancel();
  }
  // A `temporal workflow cancel` (no cancel signal) ends the run as cancelled, after cleanup.
  const workflowCancelled = isCancellation(failure) && !run.progress.cancelReason;
  recordEnd(run, failure, timedOut);

  const result = await CancellationScope.nonCancellable(async () => {
    await terminateJobIfStopped(run, timedOut);
    const outputs = await stampAndCollect(run);
    if (failure instanceof ApplicationFailure && failure.type === 'TooManyFailures') {
      run.progress.error = `${failure.message} ${firstFailures(run)}`;
    }
    await cleanUp(run);
    return outcome(run, outputs);
  });
  if (workflowCancelled) throw failure;
  if (failure && !isCancellation(failure)) throw rootFailure(run, failure);
  return result;
}

/** The tutorial's steps up to the end of the wait for the tasks; true when the timeout passed. */
async function convert(run: Run): Promise<boolean> {
  const { state } = run;
  if (state.resumeAt === 'start') {
    const everyInputConverts = await inspectInputs(run);
    if (everyInputConverts && patched('pool-beside-select')) {
      // Nothing can be reused: the pool's allocation covers the hashing of the inputs too.
      // Either failing fails the run at once: a refused pool does not wait for the hashing.
      const poolCreated = createPool(run);
      await Promise.all([selectInputs(run), poolCreated]);
      await uploadAndPoolThenSubmit(run, poolCreated);
    } else {
      // Incremental runs (absent from older histories): nothing left to convert, nothing created.
      if (patched('incremental') && !(await selectInputs(run))) return false;
      await uploadAndPoolThenSubmit(run);
    }
  } else if (state.resumeAt === 'pool-wait') {
    await waitForPool(run);
  }
  if (state.resumeAt !== 'task-wait') {
    // The timeout is for the tasks, as in the tutorial: it starts once they can run.
    run.progress.tasksDeadline = new Date(Date.now() + run.plan.timeoutMs).toISOString();
    state.resumeAt = 'task-wait';
    run.enter('running');
  }
  return await waitForTasks(run);
}

/**
 * Two branches: the pool (created, then polled until it has a usable node) and the upload
 * followed by the job and its tasks. Batch queues tasks on a pool that is still allocating, so
 * on Azure the minutes of allocation cover the upload and the submit.
 */
async function uploadAndPoolThenSubmit(run: Run, poolRequested?: Promise<void>): Promise<void> {
  run.enter('uploading');
  const poolCreated = poolRequested ?? createPool(run);
  let poolUsable = false;
  const poolReady = poolCreated.then(() => waitForPool(run)).then(() => (poolUsable = true));
  const submitted = (
    tasksFollowUpload(run)
      ? uploadWithTasksBeside(run, poolCreated)
      : uploadInputs(run)
          .then(() => poolCreated)
          .then(() => submitTasks(run))
  ).then(() => {
    if (poolUsable) return;
    run.state.resumeAt = 'pool-wait';
    run.enter('waiting-for-pool');
  });
  await Promise.all([poolReady, submitted]);
}

/**
 * Local files listed in a manifest (runs from before it upload first, then add every task): a
 * task is added once its input is stored, so nodes convert the first files while the rest upload.
 */
function tasksFollowUpload(run: Run): boolean {
  return (
    run.plan.source.kind === 'local' &&
    run.state.manifest !== undefined &&
    patched('tasks-follow-upload')
  );
}

async function uploadWithTasksBeside(run: Run, poolCreated: Promise<void>): Promise<void> {
  const progress = {
    container: run.plan.outputContainer,
    blobName: runBlobName(run.plan.owner, UPLOAD_PROGRESS_FILE),
  };
  run.state.uploadProgress = progress;
  let uploading = true;
  let submitting = true;
  const submitted = poolCreated
    .then(() => submitTasks(run, { progress, uploading: () => uploading }))
    .finally(() => (submitting = false));
  const uploaded = uploadInputs(run, progress).then(() => {
    uploading = false;
    // The phase the submit is in, now that the upload no longer holds it.
    if (submitting) run.enter(run.progress.job.created ? 'adding-tasks' : 'creating-job');
  });
  await Promise.all([uploaded, submitted]);
}

/**
 * The outputs' records and the results: both read the final tasks and the manifest, neither
 * needs the other, so they run side by side and the manifest goes after both (histories from
 * before record one after the other, or no records at all).
 */
async function stampAndCollect(run: Run): Promise<Outputs> {
  if (!patched('incremental')) return await collectResults(run);
  if (!patched('stamp-beside-collect')) {
    await stampOutputs(run);
    return await collectResults(run);
  }
  const [, outputs] = await Promise.all([
    stampOutputs(run),
    collectResults(run, { keepManifest: true }),
  ]);
  await deleteManifest(run);
  return outputs;
}

function plan(input: TranscodeInput) {
  const info = workflowInfo();
  try {
    return planTranscode(info.workflowId, input, info.firstExecutionRunId);
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: err instanceof Error ? err.message : String(err),
      nonRetryable: true,
    });
  }
}

function recordEnd(run: Run, failure: unknown, timedOut: boolean): void {
  const { progress } = run;
  if (isCancellation(failure)) {
    progress.cancelReason ??= 'workflow cancelled';
    progress.status = 'cancelled';
  } else if (failure) {
    progress.status = 'failed';
    progress.error = failureMessage(failure);
  } else if (timedOut) {
    progress.status = 'timed-out';
  }
}

/** The first failed tasks with their reasons, for a run stopped by its failure limit. */
function firstFailures(run: Run): string {
  const shown = run.progress.failures.slice(0, 3).map((f) => {
    const reason = failureReason(f);
    return `${f.inputBlob} (exit ${f.exitCode ?? '-'}${reason ? `: ${reason}` : ''})`;
  });
  return shown.length ? `First failures: ${shown.join('; ')}.` : '';
}

/** A failure as its root cause (not "Activity task failed"), now that nothing is left behind. */
function rootFailure(run: Run, failure: unknown): ApplicationFailure {
  log.warn('run ended', { status: run.progress.status, error: run.progress.error });
  const root = rootCause(failure);
  return ApplicationFailure.create({
    type: root instanceof ApplicationFailure && root.type ? root.type : 'TranscodeFailed',
    // A run stopped by its failure limit says which tasks failed first, and why.
    message:
      root instanceof ApplicationFailure && root.type === 'TooManyFailures' && run.progress.error
        ? run.progress.error
        : root instanceof Error
          ? root.message
          : String(root),
    nonRetryable: true,
    cause: failure instanceof Error ? failure : undefined,
  });
}
