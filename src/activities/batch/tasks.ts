// The tasks: added in chunks (one per file, each with its SAS URLs) and counted.
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { BatchServiceModels } from '@azure/batch';
import { redactSas, toActivityFailure } from '../errors';
import { blobUrlWithSas, containerSasUrl, UploadProgressFollower } from '../storage';
import {
  LEGACY_TASK_LOGS_PREFIX,
  recipeHash,
  recordUploadHeaders,
  type InputFile,
  type ManifestRef,
  type RunBlobRef,
  type TaskPlan,
  type TaskCounts,
} from '../../transcode';
import { lower, type BatchClients } from './clients';
import { plannedTaskChunks } from './planned-tasks';

const TASKS_PER_REQUEST = 100; // Batch's addCollection limit
const PARALLEL_CHUNKS = 4;
/** Beside an upload, how long the stored part of a chunk waits for the rest before it is sent. */
const PIECE_PATIENCE_MS = 500;

/**
 * Beside an upload, whether the stored part of a chunk goes now or waits for the rest: at once
 * while it holds at least as many tasks as all sent before it (the first task as soon as its
 * input is stored), so the nodes get work from the first input on, in pieces that grow with the
 * upload; after that, a piece gathers for a while into fewer requests.
 */
export function pieceGoesNow(stored: number, waitedMs: number, sentBefore: number): boolean {
  return stored >= Math.max(1, sentBefore) || waitedMs >= PIECE_PATIENCE_MS;
}

/**
 * What addTasks heartbeats: every chunk below `doneBelow` and those in `doneChunks` are added,
 * so a retried attempt skips them; the counts carry over so the total stays right.
 */
export interface AddTasksHeartbeat {
  doneChunks: number[];
  doneBelow?: number;
  added?: number;
  alreadyExisted?: number;
  /** The chunks done were added asking for each output's record (older attempts did not). */
  withRecords?: boolean;
}

export interface AddTasksResult {
  added: number;
  alreadyExisted: number;
  /**
   * Every task was added here, by code that asks Batch to store each output with its record:
   * the stamp step then checks one output instead of listing them all. False when some task
   * existed already or was added by an older attempt (who added it, and how, is not known).
   */
  recordsOnUpload?: boolean;
}

/** The tasks a chunk (one request) at a time, numbered. */
async function* taskChunks(
  chunks: AsyncIterable<TaskPlan[]>,
): AsyncIterable<{ index: number; tasks: TaskPlan[] }> {
  let index = 0;
  for await (const tasks of chunks) yield { index: index++, tasks };
}

/** The job's task counts: one request, whatever the number of tasks. */
export async function countTasks(batch: BatchClients['batch'], jobId: string): Promise<TaskCounts> {
  try {
    const { taskCounts } = await batch.job.getTaskCounts(jobId);
    return {
      active: taskCounts.active,
      running: taskCounts.running,
      completed: taskCounts.completed,
      succeeded: taskCounts.succeeded,
      failed: taskCounts.failed,
    };
  } catch (err) {
    toActivityFailure(err, `count tasks of job ${jobId}`);
  }
}

export function createTaskActivities(clients: BatchClients) {
  const { batch } = clients;

  return {
    /**
     * Adds the tasks in chunks of 100, several chunks at once, reading the manifest a chunk at
     * a time. TaskExists counts as added (a retry); server errors are retried; the chunks done
     * are heartbeated, so a retried attempt resumes after them. SAS URLs are made here and
     * never leave this activity.
     */
    async addTasks(args: {
      jobId: string;
      /** Runs before the manifest: the input files themselves. */
      files?: InputFile[];
      /** The inputs as a manifest; the task plans are derived here, a chunk at a time. */
      manifest?: ManifestRef;
      extension: string;
      commandTemplate: string;
      inputContainer: string;
      outputContainer: string;
      /** How long the SAS URLs must stay valid (the task timeout plus a margin). */
      sasValidForMs: number;
      /** Batch's retries of a failed task; -1 unlimited. Older histories did not send it: 1. */
      maxTaskRetryCount?: number;
      /**
       * The progress an upload running beside publishes: each task is added once its input is
       * stored, in requests of what is stored so far (absent: the inputs are all stored).
       */
      afterUpload?: RunBlobRef;
      /** Where a failed task's stdout and stderr go (older histories did not send it). */
      logsPrefix?: string;
    }): Promise<AddTasksResult> {
      const expiresOn = new Date(Date.now() + args.sasValidForMs);
      // With Entra ID, both are signed with one user delegation key.
      const inputSas = await containerSasUrl(
        clients.storage,
        args.inputContainer,
        'read',
        expiresOn,
      );
      const outputSas = await containerSasUrl(
        clients.storage,
        args.outputContainer,
        'create-write',
        expiresOn,
      );
      const recipe = recipeHash(args.commandTemplate, args.extension);
      const logsPrefix = args.logsPrefix ?? LEGACY_TASK_LOGS_PREFIX;
      const toParameter = (task: TaskPlan): BatchServiceModels.TaskAddParameter => ({
        id: task.taskId,
        displayName: task.inputBlob.slice(0, 1024),
        commandLine: task.commandLine,
        resourceFiles: [
          { httpUrl: blobUrlWithSas(inputSas, task.inputBlob), filePath: task.localInput },
        ],
        outputFiles: [
          {
            filePattern: task.localOutput,
            destination: {
              container: {
                containerUrl: outputSas,
                path: task.outputBlob,
                // The output is stored with its record (what made it), for incremental runs.
                ...(task.inputMd5
                  ? { uploadHeaders: recordUploadHeaders({ inputMd5: task.inputMd5, recipe }) }
                  : {}),
              },
            },
            uploadOptions: { uploadCondition: 'tasksuccess' },
          },
          {
            // For diagnosis: the task's stdout/stderr kept when it fails (its node may go).
            filePattern: '../std*.txt',
            destination: {
              container: { containerUrl: outputSas, path: `${logsPrefix}/${task.taskId}` },
            },
            uploadOptions: { uploadCondition: 'taskfailure' },
          },
        ],
        constraints: { maxTaskRetryCount: args.maxTaskRetryCount ?? 1 },
      });

      const resumed = activityInfo().heartbeatDetails as AddTasksHeartbeat | undefined;
      const doneBelow = resumed?.doneBelow ?? 0;
      const done = new Set<number>(resumed?.doneChunks ?? []);
      let added = resumed?.added ?? 0;
      let alreadyExisted = resumed?.alreadyExisted ?? 0;
      const resumedWithoutRecords = resumed !== undefined && resumed.withRecords !== true;

      // Counted per chunk, and into the totals once the chunk is done: the heartbeat's totals
      // then match its chunks, and a resumed attempt counts none twice.
      const addChunk = async (chunk: TaskPlan[]) => {
        const counts = { added: 0, alreadyExisted: 0 };
        let pending = chunk;
        for (let attempt = 1; pending.length > 0; attempt++) {
          let results: BatchServiceModels.TaskAddResult[];
          try {
            results =
              (await batch.task.addCollection(args.jobId, pending.map(toParameter))).value ?? [];
          } catch (err) {
            toActivityFailure(err, `add tasks to job ${args.jobId}`);
          }
          const retry: TaskPlan[] = [];
          const rejected: string[] = [];
          for (const result of results) {
            const status = lower(result.status);
            if (status === 'success') counts.added++;
            else if (result.error?.code === 'TaskExists') counts.alreadyExisted++;
            else if (status === 'servererror') {
              const task = pending.find((t) => t.taskId === result.taskId);
              if (task) retry.push(task);
            } else {
              rejected.push(
                `${result.taskId}: ${result.error?.code} ${result.error?.message?.value ?? ''}`,
              );
            }
          }
          if (rejected.length > 0) {
            throw ApplicationFailure.create({
              type: 'InvalidRequest',
              nonRetryable: true,
              message: redactSas(
                `Batch rejected ${rejected.length} task(s): ${rejected.slice(0, 5).join('; ')}`,
              ),
            });
          }
          if (retry.length > 0 && attempt >= 5) {
            throw ApplicationFailure.create({
              type: 'AzureError',
              message: `Batch kept answering serverError for ${retry.length} task(s), e.g. ${retry[0].taskId}`,
            });
          }
          if (retry.length > 0) await new Promise((r) => setTimeout(r, 200 * attempt));
          pending = retry;
        }
        return counts;
      };

      // The lowest chunk not yet done: the heartbeat names it and the few done above it.
      let watermark = doneBelow;
      const heartbeat = () => {
        while (done.has(watermark)) done.delete(watermark++);
        const details: AddTasksHeartbeat = {
          doneBelow: watermark,
          doneChunks: [...done],
          added,
          alreadyExisted,
          withRecords: !resumedWithoutRecords,
        };
        Context.current().heartbeat(details);
      };
      const follower =
        args.afterUpload &&
        new UploadProgressFollower(clients.storage.blobService, args.afterUpload, heartbeat, () =>
          Context.current().cancellationSignal.aborted
            ? new CancelledFailure('adding tasks cancelled')
            : undefined,
        );
      /** Tasks this attempt sent in pieces beside the upload. */
      let sentInPieces = 0;
      /** A chunk's tasks: at once, or beside an upload in pieces, each once its inputs are stored. */
      const addStored = async (index: number, tasks: TaskPlan[]) => {
        if (!follower) return await addChunk(tasks);
        const first = index * TASKS_PER_REQUEST; // the chunk's first file in the manifest
        const counts = { added: 0, alreadyExisted: 0 };
        for (let sent = 0; sent < tasks.length;) {
          const stored =
            (await follower.stored(first + sent, first + tasks.length, (storedPast, waitedMs) =>
              pieceGoesNow(storedPast, waitedMs, sentInPieces),
            )) - first;
          const piece = tasks.slice(sent, Math.min(tasks.length, stored));
          sentInPieces += piece.length;
          const pieceCounts = await addChunk(piece);
          counts.added += pieceCounts.added;
          counts.alreadyExisted += pieceCounts.alreadyExisted;
          sent += piece.length;
        }
        return counts;
      };
      // At most PARALLEL_CHUNKS requests in flight, and so at most a few chunks in memory.
      const inFlight = new Set<Promise<void>>();
      let failure: { error: unknown } | undefined;
      const chunks = taskChunks(
        plannedTaskChunks(clients.storage.blobService, args, args, TASKS_PER_REQUEST),
      );
      // Alive from the start (the SAS URLs and the first chunk take a while), then per chunk.
      heartbeat();
      for await (const { index, tasks } of chunks) {
        if (index < watermark || done.has(index)) continue;
        heartbeat();
        const request: Promise<void> = addStored(index, tasks)
          .then(
            (counts) => {
              added += counts.added;
              alreadyExisted += counts.alreadyExisted;
              done.add(index);
              heartbeat();
            },
            (error: unknown) => {
              failure ??= { error };
            },
          )
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
        if (inFlight.size >= PARALLEL_CHUNKS) await Promise.race(inFlight);
        if (failure) break;
      }
      await Promise.all(inFlight);
      if (failure) throw failure.error;
      return {
        added,
        alreadyExisted,
        recordsOnUpload: alreadyExisted === 0 && !resumedWithoutRecords,
      };
    },

    /** One request, whatever the number of tasks. */
    async getTaskCounts(args: { jobId: string }): Promise<TaskCounts> {
      return await countTasks(batch, args.jobId);
    },
  };
}
