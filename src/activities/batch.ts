// Every Azure Batch call of the project. Each activity is idempotent under retry:
// deterministic ids, metadata naming the owning workflow, and a 409 on our own resource
// counted as success. Made by a factory over the clients, so Azure and the emulator are one code.
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import { codeOf, describeError, redactSas, statusOf, toActivityFailure } from './errors';
import { blobUrlWithSas, containerSasUrl, type StorageClients } from './storage';
import { planTasks, type InputFile, type TaskPlan } from '../workflows/transcode/task-plan';
import type { FailedTask, TaskCounts } from '../workflows/transcode/progress';
import type { TranscodePlan } from '../workflows/transcode/input';

/** Metadata on every pool and job we create: who owns it. */
export const OWNER_METADATA = 'durable-batch-owner-workflow';
const TASKS_PER_REQUEST = 100; // Batch's addCollection limit
const PARALLEL_CHUNKS = 4;

export interface BatchClients {
  batch: BatchServiceClient;
  storage: Pick<StorageClients, 'blobService' | 'credential'>;
}

/** The pool as the plan describes it, less what only the workflow needs. */
export type PoolSpec = Omit<TranscodePlan['pool'], 'reuse' | 'allocationTimeoutMs'>;

export interface PoolStatus {
  exists: boolean;
  state?: string;
  allocationState?: string;
  resizeErrors: Array<{ code: string; message: string }>;
  currentNodes: number;
  targetNodes: number;
  nodeStates: Record<string, number>;
}

const lower = (value: string | undefined) => (value ?? '').toLowerCase();

function ownerOf(metadata: BatchServiceModels.MetadataItem[] | undefined): string | undefined {
  return metadata?.find((m) => m.name === OWNER_METADATA)?.value;
}

function ownedByAnother(kind: string, id: string, owner: string | undefined, hint: string) {
  return ApplicationFailure.create({
    type: 'ResourceOwnedByAnother',
    nonRetryable: true,
    message:
      `${kind} ${id} already exists and ` +
      (owner ? `belongs to workflow ${owner}` : 'was not created by this application') +
      `: ${hint}`,
  });
}

async function readStreamTail(
  stream: NodeJS.ReadableStream | undefined,
  maxChars: number,
): Promise<string> {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > maxChars * 4) text = text.slice(-maxChars * 2);
  }
  return text.slice(-maxChars);
}

/**
 * Deletes a pool or job only when our metadata says we own it. Already gone: false (nothing
 * sent); already being deleted: true (a retry after a lost answer).
 */
async function deleteOwned(
  kind: 'Pool' | 'Job',
  id: string,
  owner: string,
  ops: {
    get: () => Promise<{ state?: string; metadata?: BatchServiceModels.MetadataItem[] }>;
    remove: () => Promise<unknown>;
  },
): Promise<boolean> {
  try {
    const resource = await ops.get();
    if (ownerOf(resource.metadata) !== owner) {
      throw ownedByAnother(kind, id, ownerOf(resource.metadata), 'not deleting it');
    }
    if (lower(resource.state) === 'deleting') return true;
    await ops.remove();
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === `${kind}NotFound`) return false;
    if (code === `${kind}BeingDeleted`) return true;
    toActivityFailure(err, `delete ${kind.toLowerCase()} ${id}`);
  }
}

export function createBatchActivities(clients: BatchClients) {
  const { batch } = clients;

  return {
    /** An authenticated read: proves the Batch key before anything is created. */
    async checkBatchAccess(): Promise<void> {
      try {
        await batch.pool.list({ poolListOptions: { maxResults: 1, select: 'id' } });
      } catch (err) {
        toActivityFailure(err, 'Batch account');
      }
    },

    /** Creates the pool unless it exists; our own pool (by metadata) counts as created. */
    async createPoolIfAbsent(args: {
      pool: PoolSpec;
      ownerWorkflowId: string;
    }): Promise<{ created: boolean }> {
      const { pool } = args;
      try {
        await batch.pool.add({
          id: pool.id,
          vmSize: pool.vmSize,
          virtualMachineConfiguration: {
            imageReference: {
              publisher: pool.image.publisher,
              offer: pool.image.offer,
              sku: pool.image.sku,
              version: pool.image.version,
            },
            nodeAgentSKUId: pool.image.nodeAgentSkuId,
          },
          targetDedicatedNodes: pool.dedicatedNodes,
          targetLowPriorityNodes: pool.lowPriorityNodes,
          taskSlotsPerNode: pool.taskSlotsPerNode,
          startTask: {
            commandLine: pool.startTaskCommand,
            userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
            waitForSuccess: true,
            maxTaskRetryCount: 1,
          },
          metadata: [{ name: OWNER_METADATA, value: args.ownerWorkflowId }],
        });
        return { created: true };
      } catch (err) {
        if (codeOf(err) !== 'PoolExists') toActivityFailure(err, `create pool ${pool.id}`);
      }
      // It exists: ours (a retry after a lost response) or somebody else's.
      const existing = await batch.pool
        .get(pool.id, { poolGetOptions: { select: 'id,state,metadata' } })
        .catch((err) => toActivityFailure(err, `read pool ${pool.id}`));
      const owner = ownerOf(existing.metadata);
      if (owner === args.ownerWorkflowId) {
        if (lower(existing.state) === 'deleting') {
          throw ApplicationFailure.create({
            type: 'PoolBeingDeleted',
            message: `pool ${pool.id} of this workflow is being deleted; waiting to create it again`,
          });
        }
        return { created: true };
      }
      throw ownedByAnother(
        'Pool',
        pool.id,
        owner,
        'choose another pool.id, or pass pool.existingPoolId to run on it (it is then never deleted)',
      );
    },

    /** Allocation state, resize errors and node states of a pool (two requests). */
    async getPoolStatus(args: { poolId: string }): Promise<PoolStatus> {
      let pool: BatchServiceModels.CloudPool;
      try {
        pool = await batch.pool.get(args.poolId, {
          poolGetOptions: {
            select:
              'id,state,allocationState,resizeErrors,currentDedicatedNodes,currentLowPriorityNodes,' +
              'targetDedicatedNodes,targetLowPriorityNodes',
          },
        });
      } catch (err) {
        if (codeOf(err) === 'PoolNotFound' || statusOf(err) === 404) {
          return {
            exists: false,
            resizeErrors: [],
            currentNodes: 0,
            targetNodes: 0,
            nodeStates: {},
          };
        }
        toActivityFailure(err, `read pool ${args.poolId}`);
      }
      const nodeStates: Record<string, number> = {};
      try {
        let page = await batch.computeNode.list(args.poolId, {
          computeNodeListOptions: { select: 'id,state', maxResults: 1000 },
        });
        for (;;) {
          for (const node of page)
            nodeStates[lower(node.state)] = (nodeStates[lower(node.state)] ?? 0) + 1;
          if (!page.odatanextLink) break;
          page = await batch.computeNode.listNext(page.odatanextLink);
        }
      } catch (err) {
        toActivityFailure(err, `list nodes of pool ${args.poolId}`);
      }
      return {
        exists: true,
        state: lower(pool.state),
        allocationState: lower(pool.allocationState),
        resizeErrors: (pool.resizeErrors ?? []).map((e) => ({
          code: e.code ?? 'Unknown',
          message: e.message ?? '',
        })),
        currentNodes: (pool.currentDedicatedNodes ?? 0) + (pool.currentLowPriorityNodes ?? 0),
        targetNodes: (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0),
        nodeStates,
      };
    },

    /** Creates the job on the pool unless our own job exists. */
    async createJobIfAbsent(args: {
      jobId: string;
      poolId: string;
      ownerWorkflowId: string;
    }): Promise<{ created: boolean }> {
      try {
        await batch.job.add({
          id: args.jobId,
          poolInfo: { poolId: args.poolId },
          metadata: [{ name: OWNER_METADATA, value: args.ownerWorkflowId }],
        });
        return { created: true };
      } catch (err) {
        if (codeOf(err) !== 'JobExists') toActivityFailure(err, `create job ${args.jobId}`);
      }
      const existing = await batch.job
        .get(args.jobId, { jobGetOptions: { select: 'id,state,metadata' } })
        .catch((err) => toActivityFailure(err, `read job ${args.jobId}`));
      const owner = ownerOf(existing.metadata);
      if (owner === args.ownerWorkflowId) return { created: true };
      throw ownedByAnother('Job', args.jobId, owner, 'choose another job.id');
    },

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
    }): Promise<{ added: number; alreadyExisted: number }> {
      const expiresOn = new Date(Date.now() + args.sasValidForMs);
      const inputSas = containerSasUrl(clients.storage, args.inputContainer, 'read', expiresOn);
      const outputSas = containerSasUrl(
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
        constraints: { maxTaskRetryCount: 1 },
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

    /** Failed tasks with their reasons and stderr tail, and the tasks that did not finish. */
    async collectTaskResults(args: {
      jobId: string;
    }): Promise<{ succeeded: number; failed: FailedTask[]; unfinished: string[] }> {
      let succeeded = 0;
      const failed: FailedTask[] = [];
      const unfinished: string[] = [];
      try {
        let page = await batch.task.list(args.jobId, {
          taskListOptions: { select: 'id,state,executionInfo', maxResults: 1000 },
        });
        for (;;) {
          for (const task of page) {
            const id = task.id ?? '';
            if (lower(task.state) !== 'completed') unfinished.push(id);
            // Ended by a job terminate (timeout or cancel): it did not finish, it did not fail.
            else if (task.executionInfo?.failureInfo?.code === 'TaskEnded') unfinished.push(id);
            else if (lower(task.executionInfo?.result) === 'success') succeeded++;
            else {
              failed.push({
                taskId: id,
                inputBlob: '', // the workflow knows which file each task converted
                exitCode: task.executionInfo?.exitCode,
                failureCode: task.executionInfo?.failureInfo?.code,
                failureMessage: task.executionInfo?.failureInfo?.message,
              });
            }
          }
          if (!page.odatanextLink) break;
          page = await batch.task.listNext(page.odatanextLink);
        }
      } catch (err) {
        toActivityFailure(err, `list tasks of job ${args.jobId}`);
      }
      for (const failure of failed.slice(0, 50)) {
        try {
          const file = await batch.file.getFromTask(args.jobId, failure.taskId, 'stderr.txt');
          failure.stderrTail = redactSas(await readStreamTail(file.readableStreamBody, 1500));
        } catch (err) {
          failure.stderrTail = `(stderr.txt not available: ${describeError(err)})`;
        }
      }
      unfinished.sort();
      return { succeeded, failed, unfinished };
    },

    /** Ends the job's active and running tasks; a job already ended or gone is fine. */
    async terminateJob(args: { jobId: string; reason: string }): Promise<void> {
      try {
        await batch.job.terminate(args.jobId, { terminateReason: args.reason.slice(0, 64) });
      } catch (err) {
        const code = codeOf(err);
        if (
          code === 'JobNotFound' ||
          code === 'JobCompleted' ||
          code === 'JobBeingTerminated' ||
          code === 'JobBeingDeleted'
        )
          return;
        toActivityFailure(err, `terminate job ${args.jobId}`);
      }
    },

    /** Deletes the job if this workflow owns it; true when a delete was sent. */
    deleteJob(args: { jobId: string; ownerWorkflowId: string }): Promise<boolean> {
      return deleteOwned('Job', args.jobId, args.ownerWorkflowId, {
        get: () => batch.job.get(args.jobId, { jobGetOptions: { select: 'id,state,metadata' } }),
        remove: () => batch.job.deleteMethod(args.jobId),
      });
    },

    /** Deletes the pool if this workflow owns it; true when a delete was sent. */
    deletePool(args: { poolId: string; ownerWorkflowId: string }): Promise<boolean> {
      return deleteOwned('Pool', args.poolId, args.ownerWorkflowId, {
        get: () => batch.pool.get(args.poolId, { poolGetOptions: { select: 'id,state,metadata' } }),
        remove: () => batch.pool.deleteMethod(args.poolId),
      });
    },
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
