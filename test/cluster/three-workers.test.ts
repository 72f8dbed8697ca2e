// Inputs on one host, workers on many: three workers as separate processes, each in a working
// directory of its own and with a host id of its own; the input folder is in host-a's. Six
// concurrent runs of 20 files; one other worker is SIGKILLed mid-run (and stays dead), then
// host-a's (restarted after a run says it waits for it, or 30 s). Every run completes, the folder
// steps ran on host-a's workers only, every pool, job and task was created once, every output is
// stored and downloaded once, and nothing is left behind.
//
// Inputs are tiny files copied by `cp` rather than clips converted by ffmpeg: 120 conversions
// would take most of two busy cores; what is tested here is where each step runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { createdSince, emulatorStats } from 'azure-batch-emulator/control';
import { createAzureClients } from '../../src/azure-clients';
import type { AppConfig } from '../../src/config';
import { dataConverter } from '../../src/payload-codec';
import { WorkerProcess } from '../../src/stack/worker-process';
import {
  hostTaskQueue,
  planTranscode,
  progressQuery,
  type Progress,
  type TranscodeInput,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../../src/transcode';
import { leftoversOf, PROMPT_RETRIES, resourcesOf } from '../helpers/fault-harness';
import { testConfig } from '../helpers/stack';

const RUNS = 6;
const FILES = 20;
/** The activities that read the input folder or write the download folder. */
const FOLDER_STEPS = new Set([
  'inspectLocalInput',
  'inspectInputToManifest',
  'uploadInputs',
  'downloadOutputs',
]);

type Handle = WorkflowHandleWithFirstExecutionRunId<TranscodeWorkflow>;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'three-workers-'));
// The last run's tasks wait while this file exists, so that one run is surely still running when
// the others are past their tasks (finished together, the runs could all pass that moment between
// two looks). In /tmp: the test runner's private TMPDIR is closed to the emulator's task user.
const gateDir = fs.mkdtempSync('/tmp/three-workers-gate-');
fs.chmodSync(gateDir, 0o755);
const gate = path.join(gateDir, 'held');
const taskQueue = `cluster-${process.pid}-${Date.now()}`;
let config: AppConfig;
let connection: Connection;
let client: Client;
const workers = new Map<string, WorkerProcess>();

function workerOn(host: string): WorkerProcess {
  const cwd = path.join(root, host);
  fs.mkdirSync(cwd, { recursive: true });
  const { temporal, stack } = config;
  return new WorkerProcess({
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      AZURITE_BLOB_PORT: String(stack.ports.azurite),
      BATCH_EMULATOR_PORT: String(stack.ports.batch),
      TEMPORAL_TASK_QUEUE: taskQueue,
      DURABLE_BATCH_HOST_ID: host,
    },
    cwd,
  });
}

before(async () => {
  config = await testConfig();
  for (const host of ['host-a', 'host-b', 'host-c']) workers.set(host, workerOn(host));
  await Promise.all([...workers.values()].map((worker) => worker.start()));
  connection = await Connection.connect({ address: config.temporal.address });
  client = new Client({ connection, dataConverter });
});

after(async () => {
  for (const worker of workers.values()) await worker.kill();
  await connection?.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(gateDir, { recursive: true, force: true });
});

async function progressOf(handles: Handle[]): Promise<Progress[]> {
  const answers = await Promise.all(
    handles.map((h) => h.query(progressQuery).catch(() => undefined)),
  );
  return answers.filter((p): p is Progress => p !== undefined);
}

async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await check();
    if (found !== undefined) return found;
    await sleep(100);
  }
  assert.fail(`never: ${what}`);
}

/** Every folder step of a run: the queue it was sent to and the worker identity that ran it. */
async function folderSteps(handle: Handle) {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, { type: string; queue: string }>();
  const steps: Array<{ type: string; queue: string; identity: string }> = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s && FOLDER_STEPS.has(s.activityType?.name ?? '')) {
      scheduled.set(String(event.eventId), {
        type: s.activityType!.name!,
        queue: s.taskQueue?.name ?? '',
      });
    }
    const started = event.activityTaskStartedEventAttributes;
    const step = started && scheduled.get(String(started.scheduledEventId));
    if (step) steps.push({ ...step, identity: started.identity ?? '' });
  }
  return steps;
}

test('three workers, the folder on one: six runs of 20 files survive two SIGKILLs', async (t) => {
  const started = Date.now();
  const folder = path.join(root, 'host-a', 'inputs');
  fs.mkdirSync(folder);
  for (let i = 0; i < FILES; i++) {
    fs.writeFileSync(path.join(folder, `f-${String(i).padStart(2, '0')}.bin`), `file ${i}\n`);
  }
  fs.writeFileSync(gate, '');
  const before = await emulatorStats(config.batch.url);
  const inputs: TranscodeInput[] = [];
  const handles: Handle[] = [];
  for (let r = 0; r < RUNS; r++) {
    const input: TranscodeInput = {
      input: { localDir: folder, inputHost: 'host-a', pattern: '*.bin' },
      output: {
        extension: 'out',
        commandTemplate:
          r === RUNS - 1
            ? `/bin/bash -c "while [ -e ${gate} ]; do sleep 0.1; done; cp {input} {output}"`
            : '/bin/bash -c "cp {input} {output}"',
        downloadDir: path.join(root, 'host-a', `out-${r}`),
      },
      pool: { lowPriorityNodes: 1, taskSlotsPerNode: 4 },
      cleanup: { policy: 'always' },
      polling: PROMPT_RETRIES,
    };
    inputs.push(input);
    handles.push(
      await client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: `cluster-${r}-${Date.now()}`,
        args: [input],
      }),
    );
  }
  const a = workers.get('host-a')!;
  const aPids = [a.pid];

  // Mid-run: tasks of some run are on Batch. host-b dies and stays dead.
  await waitUntil('a run with tasks added', async () =>
    (await progressOf(handles)).find((p) => p.tasks.added > 0) ? true : undefined,
  );
  await workers.get('host-b')!.kill();
  const bKilledAt = Date.now() - started;

  // Then the folder's host, once a run is past its tasks (its download is a folder step).
  // Past its tasks, while another run (the held one at the latest) still has its download (a
  // folder step) ahead of it.
  await waitUntil('a run collecting its results, another not yet downloading', async () => {
    const phases = (await progressOf(handles)).map((p) => p.phase);
    const pastTasks = phases.some((p) =>
      ['collecting', 'downloading', 'cleaning-up', 'done'].includes(p),
    );
    const downloadAhead = phases.some((p) =>
      ['waiting-for-pool', 'running', 'collecting'].includes(p),
    );
    return pastTasks && downloadAhead ? true : undefined;
  });
  await a.kill();
  const aKilledAt = Date.now() - started;
  fs.rmSync(gate);
  // With host-a gone, a run whose folder step was not yet picked up says so (progress, hence
  // Web UI details and `watch`/`status`). A step that was in flight when host-a died is retried
  // by the server without that notice (ScheduleToStart applies to a first attempt): then no run
  // may say it, which the test reports rather than fails on.
  const waiting = await waitUntil(
    'a run saying it waits for host-a',
    async () => (await progressOf(handles)).find((p) => p.waitingFor)?.waitingFor,
    30_000,
  ).catch(() => undefined);
  if (waiting) assert.match(waiting, /^a worker on host host-a to (read|write) \//);
  else t.diagnostic('no run reported waiting for host-a: its folder steps were in flight');
  await a.start();
  aPids.push(a.pid);

  const results = await Promise.all(handles.map((h) => h.result()));
  const elapsedMs = Date.now() - started;
  for (const result of results) assert.equal(result.status, 'succeeded', result.message);

  const created = createdSince(before, await emulatorStats(config.batch.url));
  const storage = createAzureClients(config).storage.blobService;
  let outputs = 0;
  let downloaded = 0;
  let inputContainersLeft = 0;
  for (const [r, handle] of handles.entries()) {
    const names: string[] = [];
    for await (const blob of storage.getContainerClient(results[r].outputContainer).listBlobsFlat())
      if (blob.name.endsWith('.out')) names.push(blob.name);
    assert.equal(names.length, FILES, `run ${r}: outputs stored`);
    assert.equal(new Set(names).size, names.length, `run ${r}: an output stored twice`);
    outputs += names.length;
    const files = fs.readdirSync(inputs[r].output!.downloadDir!);
    assert.deepEqual(files.sort(), names.sort(), `run ${r}: downloads`);
    downloaded += files.length;
    const plan = planTranscode(handle.workflowId, inputs[r], handle.firstExecutionRunId);
    if (await storage.getContainerClient(plan.inputContainer).exists()) inputContainersLeft++;

    const steps = await folderSteps(handle);
    assert.ok(
      steps.some((s) => s.type === 'uploadInputs') &&
        steps.some((s) => s.type === 'downloadOutputs'),
      `run ${r}: folder steps ${JSON.stringify(steps)}`,
    );
    for (const step of steps) {
      assert.equal(step.queue, hostTaskQueue(taskQueue, 'host-a'), `run ${r}: ${step.type}`);
      assert.ok(
        aPids.some((pid) => step.identity.startsWith(`${pid}@`)),
        `run ${r}: ${step.type} ran on ${step.identity}, not on host-a (pids ${aPids.join(', ')})`,
      );
    }
  }
  // Each run's own pool and job, by id (leftoversOf waits for Batch's asynchronous deletes):
  // the emulator's totals would also count what an earlier test file on this stack left.
  const batch = createAzureClients(config).batch;
  const live = { pools: 0, jobs: 0 };
  for (const [r, handle] of handles.entries()) {
    const left = await leftoversOf(batch, resourcesOf(handle, inputs[r]));
    live.pools += left.pools;
    live.jobs += left.jobs;
  }
  t.diagnostic(
    `${RUNS} runs × ${FILES} files in ${(elapsedMs / 1000).toFixed(1)} s; host-b killed at ` +
      `${(bKilledAt / 1000).toFixed(1)} s, host-a at ${(aKilledAt / 1000).toFixed(1)} s ` +
      `("${waiting}"); created: ${created.pools} pools, ${created.jobs} jobs, ${created.tasks} ` +
      `tasks; outputs ${outputs} stored, ${downloaded} downloaded; leaks: ${live.pools} pools, ` +
      `${live.jobs} jobs, ${inputContainersLeft} input containers`,
  );
  assert.deepEqual(created, { pools: RUNS, jobs: RUNS, tasks: RUNS * FILES }, 'created once');
  assert.equal(outputs, RUNS * FILES);
  assert.equal(downloaded, RUNS * FILES);
  assert.deepEqual({ pools: live.pools, jobs: live.jobs }, { pools: 0, jobs: 0 }, 'left behind');
  assert.equal(inputContainersLeft, 0, 'input containers left behind');
});
