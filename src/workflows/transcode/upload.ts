// Step 2a: the containers, then the local files into the input container.
import { patched } from '@temporalio/workflow';
import type { RunBlobRef } from '../../transcode';
import type { Run } from './run';

/**
 * The containers, then the local files; with `progress`, publishing there how far the upload has
 * got, for the tasks added beside it.
 */
export async function uploadInputs(run: Run, progress?: RunBlobRef): Promise<void> {
  await createContainers(run);
  if (run.plan.source.kind === 'local') await uploadFiles(run, run.plan.source.dir, progress);
}

// Plain functions returning the activity's promise: awaiting them takes the same turns as
// awaiting the activity, which keeps the order of commands of recorded histories.
function createContainers(run: Run): Promise<unknown> {
  const { plan, state } = run;
  if (plan.ownsInputContainer) state.created.inputContainer = true;
  const args = {
    names: plan.ownsInputContainer
      ? [plan.inputContainer, plan.outputContainer]
      : [plan.outputContainer],
  };
  // Older runs: cleanup does not wait for it (a cancel on its way could leave the container).
  if (!patched('containers-settle')) return run.quick('Create containers').ensureContainers(args);
  const request = run.creating('Create containers', 'containers-settle').ensureContainers(args);
  run.creations.containers = request;
  return request;
}

function uploadFiles(run: Run, dir: string, progress?: RunBlobRef): Promise<unknown> {
  const { plan, state } = run;
  // With a manifest the activity reads the file list from it; older runs carry the list.
  const files = state.manifest ? { manifest: state.manifest } : { files: state.files };
  // Once cancelled, it settles only when its attempt has stopped, and cleanup waits for that
  // (older runs: neither), so that nothing it writes (its published progress, in the output
  // container) lands after cleanup.
  const settles = patched('upload-settles');
  const upload = run.onInputHost(
    settles ? 'longSettled' : 'long',
    `Upload ${run.taskCount} files`,
    `read ${dir}`,
    (activities) =>
      activities.uploadInputs({
        dir,
        container: plan.inputContainer,
        ...files,
        ...(progress ? { progress } : {}),
      }),
  );
  if (settles) run.creations.upload = upload;
  return upload;
}
