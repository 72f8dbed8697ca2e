// Keeps every run's history short: past the event budget the run continues as new, carrying
// its state whole; state.resumeAt says which wait the next run re-enters.
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { Run } from './run';
import type { ResumableTranscodeWorkflow } from './state';

export async function continueAsNewIfLong(run: Run): Promise<void> {
  const info = workflowInfo();
  if (!info.continueAsNewSuggested && info.historyLength < run.plan.polling.maxHistoryEvents) {
    return;
  }
  await condition(allHandlersFinished);
  run.progress.continuedAsNew++;
  await continueAsNew<ResumableTranscodeWorkflow>(run.input, run.state);
}
