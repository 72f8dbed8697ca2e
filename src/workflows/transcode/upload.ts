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
    await run.long(`Upload ${state.files.length} files`).uploadInputs({
      dir: plan.source.dir,
      container: plan.inputContainer,
      files: state.files,
    });
  }
}
