// The run's tasks in order, a chunk at a time: planned from its file list, or from its manifest
// read a chunk at a time (never the whole list in memory). Adding the tasks, recording the
// outputs and collecting the results all walk them so.
import type { BlobServiceClient } from '@azure/storage-blob';
import { readManifest } from '../storage';
import {
  planTasks,
  planTasksFrom,
  type InputFile,
  type ManifestRef,
  type TaskPlan,
} from '../../transcode';

/** Tasks per chunk when the run's tasks are walked to match them with results or outputs. */
export const PLANNED_CHUNK = 1000;

export async function* plannedTaskChunks(
  blobService: BlobServiceClient,
  source: { files?: InputFile[]; manifest?: ManifestRef },
  recipe: { extension: string; commandTemplate: string },
  chunkSize = PLANNED_CHUNK,
): AsyncIterable<TaskPlan[]> {
  const { extension, commandTemplate } = recipe;
  if (source.manifest) {
    const { count } = source.manifest;
    let first = 0;
    for await (const files of readManifest<InputFile>(blobService, source.manifest, chunkSize)) {
      yield planTasksFrom(files, first, count, extension, commandTemplate);
      first += files.length;
    }
    return;
  }
  const tasks = planTasks(source.files ?? [], extension, commandTemplate);
  for (let i = 0; i < tasks.length; i += chunkSize) yield tasks.slice(i, i + chunkSize);
}
