// Step 1b (incremental runs): drop the inputs whose output is already stored with the record of
// the same input and recipe, before anything is uploaded or created; the rest get their input's
// identity, for the stamp after their task succeeded (stamp.ts).
import { patched } from '@temporalio/workflow';
import {
  recipeHash,
  REUSED_OUTPUTS_FILE,
  runBlobName,
  SELECTED_MANIFEST_FILE,
} from '../../transcode';
import type { Run } from './run';

/** True when some file is left to convert. */
export async function selectInputs(run: Run): Promise<boolean> {
  const { plan, state, progress } = run;
  const { source } = plan;
  // A run that downloads its outputs downloads the reused ones too: the selection lists them.
  const listReused =
    state.manifest !== undefined && plan.downloadDir !== undefined && patched('download-reused');
  const args = {
    source,
    outputContainer: plan.outputContainer,
    extension: plan.extension,
    recipe: recipeHash(plan.commandTemplate, plan.extension),
    force: plan.force === true,
    ...(state.manifest
      ? {
          manifest: state.manifest,
          selectedManifest: {
            container: state.manifest.container,
            blobName: runBlobName(plan.owner, SELECTED_MANIFEST_FILE),
          },
          ...(listReused && {
            reusedList: {
              container: state.manifest.container,
              blobName: runBlobName(plan.owner, REUSED_OUTPUTS_FILE),
            },
          }),
        }
      : { files: state.files }),
  };
  // A local folder is read (hashed) where it is, like the upload. Once cancelled it settles
  // before cleanup, which would otherwise delete the output container ahead of the selected
  // manifest's write, which creates it (older runs: at once).
  const selection = await run.onInputHost(
    patched('select-settles') ? 'longSettled' : 'long',
    'Select files to convert',
    source.kind === 'local' ? `read ${source.dir}` : 'list the inputs',
    (activities) => activities.selectInputsToConvert(args),
  );
  const inputManifest = state.manifest;
  if (selection.manifest) state.manifest = selection.manifest;
  else state.files = selection.files ?? [];
  if (inputManifest && selection.manifest) {
    // Replaced by the selection: the input manifest's last reader is done.
    await run.quick('Delete the input manifest').deleteManifest(inputManifest);
  }
  progress.reused = selection.reused;
  if (selection.reusedList) state.reusedList = selection.reusedList;
  return selection.convert > 0;
}
