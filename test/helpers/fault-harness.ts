// The fault suite's harness: a private local stack (so services can be killed without
// disturbing other tests), the worker as a killable child process, and checks that prove a run
// created every resource exactly once, stored each output once, and left nothing behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createAzureClients } from '../../src/azure-clients';
import { loadConfig, PROJECT_ROOT, type AppConfig } from '../../src/config';
import { startTestStack, type LocalStack, type StartStackOptions } from '../../src/stack/stack';
import type { ActivityClients } from '../../src/activities';
import {
  InvalidInputError,
  planTranscode,
  type TranscodeInput,
  progressQuery,
  type Progress,
  type TranscodeResult,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../../src/transcode';
import {
  createdSince,
  emulatorStats,
  setEmulatorFaults,
  type EmulatorStats,
} from 'azure-batch-emulator/control';
import { WorkerProcess } from '../../src/stack/worker-process';
import { dataConverter } from '../../src/payload-codec';

export type TranscodeHandle = WorkflowHandle<TranscodeWorkflow>;

/** Settings that make a killed worker's work come back within seconds, not minutes. */
export const PROMPT_RETRIES: TranscodeInput['polling'] = {
  minIntervalSeconds: 0.2,
  maxIntervalSeconds: 1,
  callTimeoutSeconds: 3,
  heartbeatTimeoutSeconds: 3,
};

export interface Outcome {
  scenario: string;
  runsCompleted: number;
  pools: number;
  jobs: number;
  tasks: number;
  expectedTasks: number;
  outputs: number;
  duplicates: number;
  leakedPools: number;
  leakedJobs: number;
  note?: string;
}

/** A run's own pool (none when it reuses one it does not own) and job, by id. */
export interface RunResources {
  poolId?: string;
  jobId?: string;
}

/**
 * The pool and job of a run, by the ids its plan gives them (the workflow plans the same way);
 * none for input the plan refuses, since the workflow then creates nothing.
 */
export function resourcesOf(
  run: { workflowId: string; firstExecutionRunId: string },
  input: TranscodeInput,
): RunResources {
  try {
    const plan = planTranscode(run.workflowId, input, run.firstExecutionRunId);
    return { poolId: plan.pool.reuse ? undefined : plan.pool.id, jobId: plan.jobId };
  } catch (err) {
    if (err instanceof InvalidInputError) return {};
    throw err;
  }
}

/**
 * Waits for the run's deletes to finish (they are asynchronous in Batch), then counts which of
 * its pool and job are left. By id, not the emulator's totals: other runs on the same stack
 * (another scenario's kept pool, another test file) neither hide nor add a leak.
 */
export async function leftoversOf(
  batch: ActivityClients['batch'],
  run: RunResources,
): Promise<{ pools: number; jobs: number }> {
  const { poolId, jobId } = run;
  const count = async () => ({
    pools: poolId && (await batch.pool.exists(poolId)).body ? 1 : 0,
    jobs: jobId
      ? (await batch.job.list({ jobListOptions: { filter: `id eq '${jobId}'` } })).length
      : 0,
  });
  let left = await count();
  for (let i = 0; i < 100 && left.pools + left.jobs > 0; i++) {
    await sleep(100);
    left = await count();
  }
  return left;
}

const OUTCOMES_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'fault-suite');

/** Starts a fresh outcome file for a test file (each `npm test` run measures anew). */
export function resetOutcomes(file: string): void {
  fs.rmSync(path.join(OUTCOMES_DIR, `${file}.jsonl`), { force: true });
}

/** Appends a scenario's measured outcome; scripts/fault-table.ts turns these into the README table. */
export function recordOutcome(file: string, outcome: Outcome): void {
  fs.mkdirSync(OUTCOMES_DIR, { recursive: true });
  fs.appendFileSync(path.join(OUTCOMES_DIR, `${file}.jsonl`), `${JSON.stringify(outcome)}\n`);
}

/**
 * Records what a run created since `before` and what it left of its own pool and job (its
 * expected tasks: those it created), and checks it left neither; what it created.
 */
export async function recordRunOutcome(
  file: string,
  args: {
    scenario: string;
    batchUrl: string;
    batch: ActivityClients['batch'];
    before: EmulatorStats;
    run: RunResources;
    note: string;
    outputs?: number;
    completed?: number;
  },
): Promise<{ pools: number; jobs: number; tasks: number }> {
  const created = createdSince(args.before, await emulatorStats(args.batchUrl));
  const leaks = await leftoversOf(args.batch, args.run);
  recordOutcome(file, {
    scenario: args.scenario,
    runsCompleted: args.completed ?? 0,
    ...created,
    expectedTasks: created.tasks,
    outputs: args.outputs ?? 0,
    duplicates: Math.max(0, created.pools - 1) + Math.max(0, created.jobs - 1),
    leakedPools: leaks.pools,
    leakedJobs: leaks.jobs,
    note: args.note,
  });
  assert.deepEqual(leaks, { pools: 0, jobs: 0 }, 'pool or job left behind');
  return created;
}

export class FaultHarness {
  readonly taskQueue = `faults-${process.pid}-${Date.now()}`;
  config!: AppConfig;
  stack!: LocalStack;
  worker!: WorkerProcess;
  client!: Client;
  azure!: ActivityClients;
  private connection?: Connection;
  /** The resources of each run this harness started, by workflow id. */
  private readonly runs = new Map<string, RunResources>();
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-faults-'));

  async start(extra: Partial<StartStackOptions> = {}): Promise<void> {
    this.stack = await startTestStack(this.dataDir, extra);
    const env = this.workerEnv();
    this.config = loadConfig({ ...process.env, ...env });
    this.azure = createAzureClients(this.config);
    this.worker = new WorkerProcess({ env });
    await this.worker.start();
    this.connection = await Connection.connect({ address: this.config.temporal.address });
    this.client = new Client({ connection: this.connection, dataConverter });
  }

  /** The stack's variables and this harness's task queue: what the worker and the tests read. */
  private workerEnv(): Record<string, string> {
    return { ...this.stack.env, TEMPORAL_TASK_QUEUE: this.taskQueue };
  }

  /** The worker started again with these variables over the stack's (none: as at the start). */
  async restartWorker(overrides: Record<string, string> = {}): Promise<void> {
    await this.worker.kill();
    this.worker = new WorkerProcess({ env: { ...this.workerEnv(), ...overrides } });
    await this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker?.kill();
    await this.connection?.close();
    await this.stack?.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Starts a run; unless the scenario says otherwise: cleanup `always`, prompt retries. */
  async startRun(name: string, input: TranscodeInput) {
    const args: TranscodeInput = {
      cleanup: { policy: 'always' },
      polling: PROMPT_RETRIES,
      ...input,
    };
    const handle = await this.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: this.taskQueue,
      workflowId: `${name}-${Date.now()}`,
      args: [args],
    });
    this.runs.set(handle.workflowId, resourcesOf(handle, args));
    return handle;
  }

  /** A run whose tasks sleep before converting, so something can happen while they run. */
  startSlowRun(name: string, input: TranscodeInput, seconds: number) {
    return this.startRun(name, {
      ...input,
      output: {
        ...input.output,
        commandTemplate: `/bin/bash -c "sleep ${seconds}; ffmpeg -y -i {input} {output}"`,
      },
    });
  }

  /** Waits until some of the run's tasks are running. */
  tasksRunning(handle: TranscodeHandle): Promise<Progress> {
    return this.waitFor(
      handle,
      'tasks running',
      (p) => p.phase === 'running' && p.tasks.counts.running > 0,
    );
  }

  stats(): Promise<EmulatorStats> {
    return emulatorStats(this.config.batch.url);
  }

  faults(settings: unknown): Promise<void> {
    return setEmulatorFaults(this.config.batch.url, settings);
  }

  /** Polls the run until `when` says so (or the run ends first: a scenario that missed its moment fails). */
  async waitFor(
    handle: TranscodeHandle,
    what: string,
    when: (progress: Progress, stats: EmulatorStats) => boolean | Promise<boolean>,
    timeoutMs = 60_000,
  ): Promise<Progress> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const progress = await handle.query(progressQuery).catch(() => undefined);
      if (progress) {
        if (await when(progress, await this.stats())) return progress;
        if (progress.phase === 'done') break;
      }
      await sleep(25);
    }
    assert.fail(`the run never reached the moment "${what}"`);
  }

  /** Heartbeat details of a running activity, decoded (e.g. the upload's watermark). */
  async heartbeat<T>(handle: TranscodeHandle, activityType: string): Promise<T | undefined> {
    const description = await handle.describe();
    const pending = description.raw.pendingActivities?.find(
      (a) => a.activityType?.name === activityType,
    );
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
  }

  /** The pool and job of a run this harness started, by id. */
  resourcesOf(handle: TranscodeHandle): RunResources {
    const run = this.runs.get(handle.workflowId);
    assert.ok(run, `run ${handle.workflowId} was not started by this harness`);
    return run;
  }

  async outputBlobs(container: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of this.azure.storage.blobService
      .getContainerClient(container)
      .listBlobsFlat()) {
      names.push(blob.name);
    }
    return names;
  }

  /**
   * The invariants of every fault scenario: the run completed, pool, job and each task created
   * exactly once, each output stored once, none of its pool and job left. Records the outcome.
   */
  async assertCleanRun(
    file: string,
    scenario: string,
    before: EmulatorStats,
    handle: TranscodeHandle,
    result: TranscodeResult,
    expectedTasks: number,
    note?: string,
  ): Promise<void> {
    const created = createdSince(before, await this.stats());
    const blobs = (await this.outputBlobs(result.outputContainer)).filter(
      // The run's own files (its lists, its failed tasks' logs) are not outputs.
      (b) => !b.startsWith('_runs/'),
    );
    const run = this.resourcesOf(handle);
    const leaks = await leftoversOf(this.azure.batch, run);
    const outcome: Outcome = {
      scenario,
      runsCompleted: result.status === 'succeeded' ? 1 : 0,
      pools: created.pools,
      jobs: created.jobs,
      tasks: created.tasks,
      expectedTasks,
      outputs: blobs.length,
      duplicates:
        Math.max(0, created.pools - 1) +
        Math.max(0, created.jobs - 1) +
        Math.max(0, created.tasks - expectedTasks),
      leakedPools: leaks.pools,
      leakedJobs: leaks.jobs,
      note,
    };
    recordOutcome(file, outcome);
    assert.equal(result.status, 'succeeded', result.message);
    assert.deepEqual(
      created,
      { pools: 1, jobs: 1, tasks: expectedTasks },
      'a resource was created twice',
    );
    assert.equal(blobs.length, expectedTasks, 'outputs stored');
    assert.equal(new Set(blobs).size, blobs.length);
    // The ids looked for are the ones the run says it created, or the check would prove nothing.
    for (const resource of [`pool ${run.poolId}`, `job ${run.jobId}`]) {
      assert.ok(result.resources.created.includes(resource), `${resource} not reported created`);
    }
    assert.deepEqual(leaks, { pools: 0, jobs: 0 }, 'pool or job left behind');
  }
}
