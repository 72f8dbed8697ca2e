// Step 2a: the containers, then the local files into the input container.
import type { Run } from './run';

export async function uploadInputs(run: Run): Promise<void> {
  const { plan, state } = run;
  if (plan.ownsInputContainer) state.created.inputContainer = true;
  await run.quick('Create containers').ensureContainers({
    names: plan.ownsInputContainer
      ? [plan.inputContainer, plan.outputContainer]
      : [plan.outputContainer],
  });
  if (plan.source.kind === 'local') {
    const dir = plan.source.dir;
    // With a manifest the activity reads the file list from it; older runs carry the list.
    const files = state.manifest ? { manifest: state.manifest } : { files: state.files };
    await run.onInputHost('long', `Upload ${run.taskCount} files`, `read ${dir}`, (activities) =>
      activities.uploadInputs({ dir, container: plan.inputContainer, ...files }),
    );
  }
}
