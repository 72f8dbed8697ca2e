// Incremental runs: once the tasks are final, the output of every task that succeeded gets the
// record of what made it (storage/records.ts), unless its upload stored it already. Which tasks
// succeeded is asked of Batch here, so no list of them passes through the workflow's history.
import { Context } from '@temporalio/activity';
import { toActivityFailure } from '../errors';
import { readManifest, stampRecords, type OutputToStamp, type StampResult } from '../storage';
import { planTasksFrom, type InputFile, type ManifestRef } from '../../transcode';
import { lower, type BatchClients } from './clients';

const MANIFEST_CHUNK = 1000;

/** Ids of the job's tasks that completed with success (a page of 1,000 at a time). */
async function succeededTaskIds(batch: BatchClients['batch'], jobId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  try {
    let page = await batch.task.list(jobId, {
      taskListOptions: { select: 'id,state,executionInfo', maxResults: 1000 },
    });
    for (;;) {
      Context.current().heartbeat();
      for (const task of page) {
        if (
          lower(task.state) === 'completed' &&
          lower(task.executionInfo?.result) === 'success' &&
          task.id
        )
          ids.add(task.id);
      }
      if (!page.odatanextLink) break;
      page = await batch.task.listNext(page.odatanextLink);
    }
  } catch (err) {
    toActivityFailure(err, `list tasks of job ${jobId}`);
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
      /** addTasks asked Batch to upload every output with its record (see stampRecords). */
      recordsOnUpload?: boolean;
    }): Promise<StampResult> {
      const succeeded = await succeededTaskIds(batch, args.jobId);
      const outputs: OutputToStamp[] = [];
      const collect = (files: InputFile[], firstIndex: number, total: number) => {
        const tasks = planTasksFrom(files, firstIndex, total, args.extension, args.commandTemplate);
        for (const task of tasks) {
          if (task.inputMd5 && succeeded.has(task.taskId))
            outputs.push({ outputBlob: task.outputBlob, inputMd5: task.inputMd5 });
        }
      };
      if (args.manifest) {
        let index = 0;
        for await (const files of readManifest<InputFile>(
          storage.blobService,
          args.manifest,
          MANIFEST_CHUNK,
        )) {
          collect(files, index, args.manifest.count);
          index += files.length;
        }
      } else {
        const files = args.files ?? [];
        collect(files, 0, files.length);
      }
      return stampRecords(storage, args.outputContainer, args.recipe, outputs, {
        recordsOnUpload: args.recordsOnUpload === true,
      });
    },
  };
}
