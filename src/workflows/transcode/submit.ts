// Steps 3 and 4: the job on the pool, then one task per file (deterministic ids, so a retried
// add finds the same tasks).
import { taskLogsPrefix, type RunBlobRef } from '../../transcode';
import type { Run } from './run';

/** An upload going on beside the submit: where it publishes its progress, and whether it still runs. */
export interface UploadBeside {
  progress: RunBlobRef;
  uploading(): boolean;
}

export async function submitTasks(run: Run, upload?: UploadBeside): Promise<void> {
  const { plan, state, progress } = run;
  // While files upload, the run's phase stays the upload's.
  const enter = (phase: 'creating-job' | 'adding-tasks') => {
    if (!upload?.uploading()) run.enter(phase);
  };
  enter('creating-job');
  state.created.job = true; // attempted: cleanup checks ownership and tolerates absence
  const request = run.creating(`Create job ${plan.jobId}`).createJobIfAbsent({
    jobId: plan.jobId,
    poolId: plan.pool.id,
    ownerWorkflowId: plan.owner,
  });
  run.creations.job = request;
  await request;
  progress.job.created = true;

  enter('adding-tasks');
  progress.tasks.total = run.taskCount;
  const added = await run.long(`Add ${run.taskCount} tasks`).addTasks({
    jobId: plan.jobId,
    ...(state.manifest ? { manifest: state.manifest } : { files: state.files }),
    extension: plan.extension,
    commandTemplate: plan.commandTemplate,
    inputContainer: plan.inputContainer,
    outputContainer: plan.outputContainer,
    // SAS URLs outlive the tasks' timeout; they are made inside the activity.
    sasValidForMs: plan.timeoutMs + 2 * 3600_000,
    maxTaskRetryCount: plan.failures.taskRetries,
    ...(upload ? { afterUpload: upload.progress } : {}),
    logsPrefix: taskLogsPrefix(plan.owner),
  });
  progress.tasks.added = added.added + added.alreadyExisted;
  // Absent from older activities' results: the stamp step then lists every output.
  state.recordsOnUpload = added.recordsOnUpload === true;
}
