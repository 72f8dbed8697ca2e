// Step 1: check access, then list the inputs, before anything is created.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { duplicateOutputs, INPUT_MANIFEST_FILE, runBlobName } from '../../transcode';
import type { Run } from './run';

/**
 * True when every input is certainly converted: the output container held nothing yet (or the
 * run is forced), so no output can be reused. Unknown (false) for runs without a manifest.
 */
export async function inspectInputs(run: Run): Promise<boolean> {
  const { plan, state, progress } = run;
  run.enter('preparing');
  // A wrong key must fail the run before anything is created, not after the upload.
  await run.quick('Check Azure access').checkAccess();
  const source = plan.source;
  // Runs from before the manifest carried the file list in their state: they keep doing so.
  if (patched('manifest')) {
    // A folder is read on its host (input.inputHost); blobs on any worker.
    // Long, heartbeating: listing and writing a 100,000-file manifest outlasts a call timeout.
    // Once cancelled it settles before cleanup, which would otherwise delete the output container
    // ahead of a manifest write still on its way (older runs: at once).
    const inspected = await run.onInputHost(
      patched('inspect-settles') ? 'longSettled' : 'long',
      source.kind === 'local' ? `Inspect ${source.dir}` : `Inspect blobs in ${source.container}`,
      `read ${source.kind === 'local' ? source.dir : source.container}`,
      (activities) =>
        activities.inspectInputToManifest({
          source,
          extension: plan.extension,
          manifest: {
            container: plan.outputContainer,
            blobName: runBlobName(plan.owner, INPUT_MANIFEST_FILE),
          },
        }),
    );
    state.manifest = inspected.manifest;
    if (inspected.summary) progress.inspection = inspected.summary;
    progress.files = inspected.manifest.count;
    progress.inputBytes = inspected.manifest.totalBytes;
    return plan.force === true || inspected.outputsStored === false;
  }
  if (source.kind === 'local') {
    const inspected = await run.onInputHost(
      'quick',
      `Inspect ${source.dir}`,
      `read ${source.dir}`,
      (activities) => activities.inspectLocalInput({ dir: source.dir, pattern: source.pattern }),
    );
    state.files = inspected.files;
    progress.inspection = inspected.summary;
  } else {
    state.files = await run.quick(`Inspect blobs in ${source.container}`).inspectBlobInput(source);
  }
  const duplicates = duplicateOutputs(state.files, plan.extension);
  if (duplicates.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `Two inputs would write the same output: ${duplicates.join('; ')}. Rename one of them.`,
    });
  }
  progress.files = state.files.length;
  progress.inputBytes = state.files.reduce((sum, f) => sum + f.size, 0);
  return false;
}
