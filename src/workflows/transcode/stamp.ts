// Step 5b (incremental runs): once the tasks are final, record in each new output's metadata
// the input and recipe that made it, so a later run can reuse it. Before the manifest this
// reads is deleted (beside the results step, or before it in older histories).
import { recipeHash } from '../../transcode';
import { step } from './failures';
import type { Run } from './run';

export async function stampOutputs(run: Run): Promise<void> {
  const { plan, state, progress } = run;
  if (progress.tasks.added === 0) return;
  await step(run, 'record outputs', async () => {
    // Part of collecting the results, as far as the user (and the phase clock) can tell.
    run.enter('collecting');
    await run.long('Record what made each output').stampOutputs({
      jobId: plan.jobId,
      outputContainer: plan.outputContainer,
      recipe: recipeHash(plan.commandTemplate, plan.extension),
      extension: plan.extension,
      commandTemplate: plan.commandTemplate,
      recordsOnUpload: state.recordsOnUpload === true,
      // The last poll's count: final once the wait has ended (or the job was terminated).
      succeededCount: progress.tasks.counts.succeeded,
      ...(state.manifest ? { manifest: state.manifest } : { files: state.files }),
    });
  });
}
