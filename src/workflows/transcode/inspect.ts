// Step 1: check access, then list the inputs, before anything is created.
import { ApplicationFailure } from '@temporalio/workflow';
import { duplicateOutputs } from '../../transcode';
import type { Run } from './run';

export async function inspectInputs(run: Run): Promise<void> {
  const { plan, state, progress } = run;
  run.enter('preparing');
  // A wrong key must fail the run before anything is created, not after the upload.
  await run.quick('Check Azure access').checkAccess();
  const source = plan.source;
  if (source.kind === 'local') {
    const inspected = await run
      .quick(`Inspect ${source.dir}`)
      .inspectLocalInput({ dir: source.dir, pattern: source.pattern });
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
}
