// Incremental runs: once the tasks are final, the output of every task that succeeded gets the
// record of what made it (storage/records.ts), unless its upload stored it already. Which tasks
// succeeded is asked of Batch here, so no list of them passes through the workflow's history.
import { Context } from '@temporalio/activity';
import { hasRecord, stampRecords, type OutputToStamp, type StampResult } from '../storage';
import type { InputFile, ManifestRef, TaskPlan } from '../../transcode';
import type { BatchClients } from './clients';
import { plannedTaskChunks } from './planned-tasks';
import { firstSucceededTaskId, succeededTaskIdPages } from './results';

/** Ids of the job's tasks that completed with success. */
async function succeededTaskIds(batch: BatchClients['batch'], jobId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of succeededTaskIdPages(batch, jobId)) {
    Context.current().heartbeat();
    for (const id of page) ids.add(id);
  }
  return ids;
}

export function createStampActivities({ batch, storage }: BatchClients) {
  return {
    /**
     * Stamps the output of every task of the job that succeeded with its input's identity and
     * the recipe; an older output left by a failed task keeps its own record. The files come
     * in task order, as a list or the run's manifest. Idempotent: a retry writes the same.
     */
    async stampOutputs(args: {
      jobId: string;
      outputContainer: string;
      recipe: string;
      extension: string;
      commandTemplate: string;
      files?: InputFile[];
      manifest?: ManifestRef;
      /** addTasks asked Batch to upload every output with its record. */
      recordsOnUpload?: boolean;
      /** How many tasks succeeded, by the workflow's last poll (absent from older runs). */
      succeededCount?: number;
    }): Promise<StampResult> {
      const planned = () => plannedTaskChunks(storage.blobService, args, args);
      if (args.recordsOnUpload) {
        // Every task asked Batch to upload its output with the record: when the output of one
        // that succeeded carries it, Batch stored them all so (no listing of either kind).
        const firstId = await firstSucceededTaskId(batch, args.jobId);
        if (firstId === undefined) {
          return { stamped: 0, alreadyRecorded: 0, missing: 0, checkedBy: 'first-output' };
        }
        let first: TaskPlan | undefined;
        for await (const tasks of planned()) {
          first = tasks.find((task) => task.taskId === firstId);
          if (first) break;
        }
        const output = first?.inputMd5 && {
          outputBlob: first.outputBlob,
          inputMd5: first.inputMd5,
        };
        if (output && (await hasRecord(storage, args.outputContainer, args.recipe, output))) {
          // Batch's count, from the workflow's last poll (asked again for older runs).
          const alreadyRecorded =
            args.succeededCount ?? (await batch.job.getTaskCounts(args.jobId)).taskCounts.succeeded;
          return {
            stamped: 0,
            alreadyRecorded,
            missing: 0,
            checkedBy: 'first-output',
          };
        }
      }
      const succeeded = await succeededTaskIds(batch, args.jobId);
      const outputs: OutputToStamp[] = [];
      for await (const tasks of planned()) {
        for (const task of tasks) {
          if (task.inputMd5 && succeeded.has(task.taskId))
            outputs.push({ outputBlob: task.outputBlob, inputMd5: task.inputMd5 });
        }
      }
      return stampRecords(storage, args.outputContainer, args.recipe, outputs);
    },
  };
}
