// The tasks: added in chunks (one per file, each with its SAS URLs) and counted.
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BatchServiceModels } from '@azure/batch';
import { redactSas, toActivityFailure } from '../errors';
import { blobUrlWithSas, containerSasUrl } from '../storage';
import { planTasks, type InputFile, type TaskPlan, type TaskCounts } from '../../transcode';
import { lower, type BatchClients } from './clients';

const TASKS_PER_REQUEST = 100; // Batch's addCollection limit
const PARALLEL_CHUNKS = 4;

export function createTaskActivities(clients: BatchClients) {
  const { batch } = clients;

  return {
    /**
     * Adds the tasks in chunks of 100, several chunks at once. TaskExists counts as added (a
     * retry); server errors are retried; SAS URLs are made here and never leave this activity.
     */
    async addTasks(args: {
      jobId: string;
      /** The input files; the task plans are derived here so history carries only the file list. */
      files: InputFile[];
      extension: string;
      commandTemplate: string;
      inputContainer: string;
      outputContainer: string;
      /** How long the SAS URLs must stay valid (the task timeout plus a margin). */
      sasValidForMs: number;
      /** Batch's retries of a failed task; -1 unlimited. Older histories did not send it: 1. */
      maxTaskRetryCount?: number;
    }): Promise<{ added: number; alreadyExisted: number }> {
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
            destination: { container: { containerUrl: outputSas, path: task.outputBlob } },
            uploadOptions: { uploadCondition: 'tasksuccess' },
          },
          {
            // For diagnosis: the task's stdout/stderr next to the outputs when it fails.
            filePattern: '../std*.txt',
            destination: { container: { containerUrl: outputSas, path: `logs/${task.taskId}` } },
            uploadOptions: { uploadCondition: 'taskfailure' },
          },
        ],
        constraints: { maxTaskRetryCount: args.maxTaskRetryCount ?? 1 },
      });

      const tasks = planTasks(args.files, args.extension, args.commandTemplate);
      const chunks: TaskPlan[][] = [];
      for (let i = 0; i < tasks.length; i += TASKS_PER_REQUEST) {
        chunks.push(tasks.slice(i, i + TASKS_PER_REQUEST));
      }
      const resumed = activityInfo().heartbeatDetails as { doneChunks: number[] } | undefined;
      const done = new Set<number>(resumed?.doneChunks ?? []);
      let added = 0;
      let alreadyExisted = 0;

      const addChunk = async (chunk: TaskPlan[]) => {
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
            if (status === 'success') added++;
            else if (result.error?.code === 'TaskExists') alreadyExisted++;
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
      };

      let next = 0;
      const runner = async () => {
        while (next < chunks.length) {
          const index = next++;
          if (done.has(index)) continue;
          await addChunk(chunks[index]);
          done.add(index);
          Context.current().heartbeat({ doneChunks: [...done] });
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_CHUNKS }, runner));
      return { added, alreadyExisted };
    },

    /** One request, whatever the number of tasks. */
    async getTaskCounts(args: { jobId: string }): Promise<TaskCounts> {
      try {
        const { taskCounts } = await batch.job.getTaskCounts(args.jobId);
        return {
          active: taskCounts.active,
          running: taskCounts.running,
          completed: taskCounts.completed,
          succeeded: taskCounts.succeeded,
          failed: taskCounts.failed,
        };
      } catch (err) {
        toActivityFailure(err, `count tasks of job ${args.jobId}`);
      }
    },
  };
}
