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

export class FaultHarness {
  readonly taskQueue = `faults-${process.pid}-${Date.now()}`;
  config!: AppConfig;
  stack!: LocalStack;
  worker!: WorkerProcess;
  client!: Client;
  azure!: ActivityClients;
  private connection?: Connection;
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-faults-'));

  async start(extra: Partial<StartStackOptions> = {}): Promise<void> {
    this.stack = await startTestStack(this.dataDir, extra);
    const env = { ...this.stack.env, TEMPORAL_TASK_QUEUE: this.taskQueue };
    this.config = loadConfig({ ...process.env, ...env });
    this.azure = createAzureClients(this.config);
    this.worker = new WorkerProcess({ env });
    await this.worker.start();
    this.connection = await Connection.connect({ address: this.config.temporal.address });
    this.client = new Client({ connection: this.connection, dataConverter });
  }

  async stop(): Promise<void> {
    await this.worker?.kill();
    await this.connection?.close();
    await this.stack?.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Starts a run; unless the scenario says otherwise: cleanup `always`, prompt retries. */
  async startRun(name: string, input: TranscodeInput) {
    return this.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: this.taskQueue,
      workflowId: `${name}-${Date.now()}`,
      args: [{ cleanup: { policy: 'always' }, polling: PROMPT_RETRIES, ...input }],
    });
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

  /** Waits for deletes to finish (they are asynchronous in Batch) and counts what is left. */
  async leftovers(): Promise<{ pools: number; jobs: number }> {
    let live = (await this.stats()).live;
    for (let i = 0; i < 100 && (live.pools > 0 || live.jobs > 0); i++) {
      await sleep(100);
      live = (await this.stats()).live;
    }
    return { pools: live.pools, jobs: live.jobs };
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
   * exactly once, each output stored once, no pool or job left. Records the outcome.
   */
  async assertCleanRun(
    file: string,
    scenario: string,
    before: EmulatorStats,
    result: TranscodeResult,
    expectedTasks: number,
    note?: string,
  ): Promise<void> {
    const created = createdSince(before, await this.stats());
    const blobs = (await this.outputBlobs(result.outputContainer)).filter(
      // Task logs and the run's own lists (the results manifest) are not outputs.
      (b) => !b.startsWith('logs/') && !b.startsWith('_runs/'),
    );
    const leaks = await this.leftovers();
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
    assert.deepEqual(leaks, { pools: 0, jobs: 0 }, 'pool or job left behind');
  }
}
