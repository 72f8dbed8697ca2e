// Step 6: stop what still runs (after a failure, cancel or timeout), then the tasks' results,
// every expected output verified, and the outputs downloaded if asked.
import type { VerifiedOutputs } from '../../activities/storage';
import {
  INPUT_MANIFEST_FILE,
  RESULTS_FILE,
  RESULTS_LISTED,
  runBlobName,
  SELECTED_MANIFEST_FILE,
  taskLogsPrefix,
  type ManifestRef,
  type TranscodeResult,
} from '../../transcode';
import { step } from './failures';
import type { Run } from './run';

export interface Outputs {
  verified: VerifiedOutputs;
  downloaded?: TranscodeResult['downloaded'];
  /** With a manifest: the outputs missing in all, and every list whole when one was cut short. */
  missingCount?: number;
  list?: ManifestRef;
}

/** The outputs to download: by name, or (a large run) those the results list names. */
type DownloadSource = { names: string[] } | { list: ManifestRef };

export async function terminateJobIfStopped(run: Run, timedOut: boolean): Promise<void> {
  const { plan, state, progress } = run;
  const stopped = progress.status === 'cancelled' || progress.status === 'failed' || timedOut;
  if (!state.created.job || !stopped) return;
  // Stop the tasks first, so the results below are final.
  await step(run, 'terminate job', async () => {
    run.enter('cleaning-up');
    const reason = progress.cancelReason ? 'UserCancel' : timedOut ? 'Timeout' : 'WorkflowFailed';
    await run.quick(`Terminate job ${plan.jobId}`).terminateJob({ jobId: plan.jobId, reason });
    progress.job.terminated = true;
    if (progress.tasks.added > 0) {
      // Final counts: the last poll was before the terminate.
      progress.tasks.counts = await run
        .quick('Task counts after terminate')
        .getTaskCounts({ jobId: plan.jobId });
    }
  });
}

export async function collectResults(
  run: Run,
  options: { keepManifest?: boolean } = {},
): Promise<Outputs> {
  const { plan, state, progress } = run;
  const outputs: Outputs = { verified: { count: 0, bytes: 0, first: [], missing: [] } };
  if (progress.tasks.added > 0) {
    await step(run, 'collect results', async () => {
      run.enter('collecting');
      const source = state.manifest
        ? await fromManifest(run, state.manifest, outputs)
        : await fromFileList(run, outputs);
      if (plan.downloadDir && (outputs.verified.count > 0 || state.reusedList)) {
        await download(run, source, outputs);
      }
    });
  } else if (plan.downloadDir && state.reusedList) {
    // Nothing converted, everything reused: the download still fills the folder.
    await step(run, 'download reused outputs', () => download(run, { names: [] }, outputs));
  }
  // The stamp reads it too: when it runs beside this, the caller deletes it after both.
  if (!options.keepManifest) await deleteManifest(run);
  return outputs;
}

/** Once its last reader is done, the manifest leaves the output container (results stay). */
export async function deleteManifest(run: Run): Promise<void> {
  const { plan, manifest, uploadProgress, reusedList } = run.state;
  if (!manifest) return;
  // The run's other blobs beside it go with it: the upload's published progress, and the
  // manifest the run no longer reads (a cancel keeps the selection from deleting the one it
  // replaced). Those never written cost a request each, nothing more.
  const others = [INPUT_MANIFEST_FILE, SELECTED_MANIFEST_FILE].map((file) =>
    runBlobName(plan.owner, file),
  );
  if (uploadProgress && uploadProgress.container === manifest.container) {
    others.push(uploadProgress.blobName);
  }
  if (reusedList && reusedList.container === manifest.container) others.push(reusedList.blobName);
  const also = { alsoBlobNames: others.filter((name) => name !== manifest.blobName) };
  // A cancelled upload may still publish its progress: deleted after it has stopped.
  await run.creations.upload?.catch(() => undefined);
  await step(run, 'delete manifest', async () => {
    await run.quick('Delete the input manifest').deleteManifest({ ...manifest, ...also });
  });
}

/** The tasks' results matched to the manifest's files, in one activity: counts and samples. */
async function fromManifest(
  run: Run,
  manifest: ManifestRef,
  outputs: Outputs,
): Promise<DownloadSource> {
  const { plan, progress } = run;
  const results = await run.long('Collect task results').collectRunResults({
    jobId: plan.jobId,
    manifest,
    extension: plan.extension,
    commandTemplate: plan.commandTemplate,
    outputContainer: plan.outputContainer,
    listBlob: { container: plan.outputContainer, blobName: runBlobName(plan.owner, RESULTS_FILE) },
    logsPrefix: taskLogsPrefix(plan.owner),
  });
  progress.failures = results.failed;
  progress.failedCount = results.failedCount;
  progress.unfinishedTasks = results.unfinished;
  progress.unfinishedCount = results.unfinishedCount;
  outputs.verified = results.verified;
  outputs.missingCount = results.missingCount;
  outputs.list = results.list;
  return results.verified.count > RESULTS_LISTED && results.list
    ? { list: results.list }
    : { names: results.verified.first.map((o) => o.name) };
}

/** Runs from before the manifest: the file list is in the state. */
async function fromFileList(run: Run, outputs: Outputs): Promise<DownloadSource> {
  const { plan, progress } = run;
  const results = await run.quick('Collect task results').collectTaskResults({ jobId: plan.jobId });
  const inputOf = new Map(run.tasks.map((t) => [t.taskId, t.inputBlob]));
  for (const failed of results.failed)
    failed.inputBlob = inputOf.get(failed.taskId) ?? failed.taskId;
  progress.failures = results.failed;
  progress.unfinishedTasks = results.unfinished;
  const failedOrUnfinished = new Set([
    ...results.failed.map((f) => f.taskId),
    ...results.unfinished,
  ]);
  const expected = run.tasks
    .filter((t) => !failedOrUnfinished.has(t.taskId))
    .map((t) => t.outputBlob);
  outputs.verified = await run.quick(`Verify ${expected.length} outputs`).verifyOutputs({
    container: plan.outputContainer,
    names: expected,
  });
  const missing = new Set(outputs.verified.missing);
  return { names: expected.filter((name) => !missing.has(name)) };
}

async function download(run: Run, source: DownloadSource, outputs: Outputs): Promise<void> {
  const { plan } = run;
  const { reusedList } = run.state;
  const dir = plan.downloadDir;
  if (!dir) return;
  run.enter('downloading');
  const count = outputs.verified.count + (reusedList?.count ?? 0);
  // To the machine that started the run (input.inputHost), as the folder was read there.
  const summary = await run.onInputHost(
    'long',
    `Download ${count} outputs`,
    `write ${dir}`,
    (activities) =>
      activities.downloadOutputs({
        container: plan.outputContainer,
        ...source,
        ...(reusedList && { reused: reusedList }),
        dir,
      }),
  );
  outputs.downloaded = { dir, files: summary.files, bytes: summary.bytes };
}
