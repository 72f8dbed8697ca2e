// Incremental runs on the real local stack: a second run over the same folder and output
// container converts only what changed or went missing, and `client retry` converts only the
// files whose tasks failed. What was converted is read from the emulator's task statistics.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createdSince, emulatorStats } from 'azure-batch-emulator/control';
import { createAzureClients } from '../../src/azure-clients';
import {
  RECORD_INPUT_MD5,
  RECORD_RECIPE,
  recipeHash,
  type TranscodeInput,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { runCli } from '../helpers/cli';
import { activityEvents, activityResults } from '../helpers/history';
import { testConfig } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/worker';

/** Copies the input; fails (exit 3) on an input that holds FAIL. No ffmpeg: fast. */
const COMMAND = '/bin/bash -c "if grep -q FAIL {input}; then exit 3; fi; cp {input} {output}"';
const names = Array.from({ length: 10 }, (_, i) => `clip-${String(i).padStart(2, '0')}.dat`);
const outputOf = (name: string) => name.replace(/\.dat$/, '.out');

describe('incremental runs', () => {
  let tw: TestWorker;
  let cliEnv: NodeJS.ProcessEnv;

  before(async () => {
    tw = await startTestWorker(await testConfig(), 'incremental');
    cliEnv = { TEMPORAL_ADDRESS: tw.config.temporal.address, TEMPORAL_TASK_QUEUE: tw.taskQueue };
  });

  function folder(failing: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incremental-'));
    for (const name of names) {
      fs.writeFileSync(path.join(dir, name), `${name}\n${failing.includes(name) ? 'FAIL\n' : ''}`);
    }
    return dir;
  }

  function inputFor(dir: string, container?: string, extra: Partial<TranscodeInput> = {}) {
    return {
      input: { localDir: dir, pattern: '*.dat' },
      output: { extension: 'out', commandTemplate: COMMAND, ...(container ? { container } : {}) },
      pool: { lowPriorityNodes: 2 },
      failures: { taskRetries: 0 },
      cleanup: { policy: 'always' },
      polling: { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 },
      ...extra,
    } satisfies TranscodeInput;
  }

  /** A run to its end, and what it created on the emulator meanwhile. */
  async function runToEnd(workflowId: string, input: TranscodeInput) {
    const before = await emulatorStats(tw.config.batch.url);
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [input],
    });
    const result = await handle.result();
    return { result, created: createdSince(before, await emulatorStats(tw.config.batch.url)) };
  }

  /** Whether the run asked for its pool before its selection of the inputs had answered. */
  async function poolAskedDuringSelection(workflowId: string): Promise<boolean> {
    const events = await activityEvents(tw.client, workflowId);
    const pool = events.indexOf('scheduled createPoolIfAbsent');
    const selected = events.indexOf('completed selectInputsToConvert');
    assert.ok(pool >= 0 && selected >= 0, events.join(', '));
    return pool < selected;
  }

  async function resultOf(workflowId: string, before: Awaited<ReturnType<typeof emulatorStats>>) {
    const result: TranscodeResult = await tw.client.workflow
      .getHandle<TranscodeWorkflow>(workflowId)
      .result();
    return { result, created: createdSince(before, await emulatorStats(tw.config.batch.url)) };
  }

  test('change one input and delete one output: the next run converts 2 and reuses 8', async () => {
    const dir = folder();
    const container = `incremental-${Date.now()}`;
    const id = `incremental-${Date.now()}`;
    const { storage } = createAzureClients(tw.config);
    const outputs = storage.blobService.getContainerClient(container);

    const first = await runToEnd(`${id}-1`, inputFor(dir, container));
    assert.equal(first.result.status, 'succeeded', first.result.message);
    assert.equal(first.created.tasks, 10);
    assert.equal(first.result.reused ?? 0, 0);
    // Each output records the MD5 of its input and the recipe that made it.
    const stamped = await outputs.getBlobClient(outputOf(names[0])).getProperties();
    assert.equal(
      stamped.metadata?.[RECORD_INPUT_MD5],
      crypto
        .createHash('md5')
        .update(fs.readFileSync(path.join(dir, names[0])))
        .digest('base64'),
    );
    assert.equal(stamped.metadata?.[RECORD_RECIPE], recipeHash(COMMAND, 'out'));
    // Nothing stored yet, so nothing to reuse: the pool was asked for while the inputs hashed.
    assert.equal(await poolAskedDuringSelection(`${id}-1`), true);
    // Stored by each output's upload (its task asked for it): nothing left to write after.
    assert.deepEqual(await activityResults(tw.client, `${id}-1`, 'stampOutputs'), [
      { stamped: 0, alreadyRecorded: 10, missing: 0, checkedBy: 'first-output' },
    ]);

    fs.appendFileSync(path.join(dir, names[3]), 'changed\n');
    await outputs.deleteBlob(outputOf(names[7]));
    const second = await runToEnd(`${id}-2`, inputFor(dir, container));
    assert.equal(second.result.status, 'succeeded', second.result.message);
    assert.deepEqual(second.created, { pools: 1, jobs: 1, tasks: 2 });
    assert.equal(second.result.reused, 8);
    assert.deepEqual(
      second.result.outputs.map((o) => o.name),
      [names[3], names[7]].map(outputOf),
    );
    assert.match(second.result.message, /2 of 2 file\(s\) converted; 8 reused/);
    // Outputs stored: the pool waits for the selection to say there is work (and its size).
    assert.equal(await poolAskedDuringSelection(`${id}-2`), false);

    // Nothing changed: nothing to convert, and no pool, job or task is created for it.
    const third = await runToEnd(`${id}-3`, inputFor(dir, container));
    assert.equal(third.result.status, 'succeeded', third.result.message);
    assert.deepEqual(third.created, { pools: 0, jobs: 0, tasks: 0 });
    assert.equal(third.result.reused, 10);

    // A changed command is another recipe; `force` converts everything whatever the records.
    const forced = await runToEnd(`${id}-4`, inputFor(dir, container, { force: true }));
    assert.equal(forced.created.tasks, 10);
    assert.equal(forced.result.reused, 0);
    assert.equal(await poolAskedDuringSelection(`${id}-4`), true);
  });

  test('a run that downloads its outputs downloads the reused ones too', async () => {
    const dir = folder();
    const container = `incremental-dl-${Date.now()}`;
    const id = `incremental-dl-${Date.now()}`;
    const first = await runToEnd(`${id}-1`, inputFor(dir, container));
    assert.equal(first.result.status, 'succeeded', first.result.message);

    // Everything reused: no task, and the folder still gets every output.
    const download = fs.mkdtempSync(path.join(os.tmpdir(), 'incremental-download-'));
    const extra = (downloadDir: string) => ({
      output: { extension: 'out', commandTemplate: COMMAND, container, downloadDir },
    });
    const all = await runToEnd(`${id}-2`, { ...inputFor(dir, container), ...extra(download) });
    assert.equal(all.result.status, 'succeeded', all.result.message);
    assert.deepEqual(all.created, { pools: 0, jobs: 0, tasks: 0 });
    assert.equal(all.result.reused, 10);
    assert.deepEqual(all.result.downloaded, {
      dir: download,
      files: 10,
      bytes: all.result.downloaded?.bytes,
    });
    assert.deepEqual(fs.readdirSync(download).sort(), names.map(outputOf));
    for (const name of names) {
      assert.equal(fs.readFileSync(path.join(download, outputOf(name)), 'utf8'), `${name}\n`);
    }

    // One changed: its output converted and downloaded beside the nine reused.
    fs.appendFileSync(path.join(dir, names[2]), 'changed\n');
    fs.rmSync(path.join(download, outputOf(names[5])));
    const some = await runToEnd(`${id}-3`, { ...inputFor(dir, container), ...extra(download) });
    assert.equal(some.result.status, 'succeeded', some.result.message);
    assert.equal(some.created.tasks, 1);
    assert.equal(some.result.reused, 9);
    assert.deepEqual(fs.readdirSync(download).sort(), names.map(outputOf));
    assert.equal(
      fs.readFileSync(path.join(download, outputOf(names[2])), 'utf8'),
      `${names[2]}\nchanged\n`,
    );
    // The list of reused outputs went with the run's other lists: only outputs are left.
    const { storage } = createAzureClients(tw.config);
    const left: string[] = [];
    for await (const blob of storage.blobService.getContainerClient(container).listBlobsFlat()) {
      left.push(blob.name);
    }
    assert.deepEqual(left.sort(), names.map(outputOf));
  });

  test('blob inputs: a rewritten blob is converted again, the others reused', async () => {
    const { storage } = createAzureClients(tw.config);
    const stamp = Date.now();
    const inputs = storage.blobService.getContainerClient(`incremental-in-${stamp}`);
    await inputs.create();
    for (const name of names.slice(0, 4)) {
      await inputs.getBlockBlobClient(name).uploadData(Buffer.from(`${name}\n`));
    }
    const input = {
      ...inputFor('/unused', `incremental-blob-out-${stamp}`),
      input: { blobContainer: inputs.containerName, pattern: '*.dat' },
    };
    const first = await runToEnd(`incremental-blob-${stamp}-1`, input);
    assert.equal(first.result.status, 'succeeded', first.result.message);
    assert.equal(first.created.tasks, 4);

    await inputs.getBlockBlobClient(names[1]).uploadData(Buffer.from('rewritten\n'));
    const second = await runToEnd(`incremental-blob-${stamp}-2`, input);
    assert.equal(second.result.status, 'succeeded', second.result.message);
    assert.equal(second.created.tasks, 1);
    assert.equal(second.result.reused, 3);
    assert.deepEqual(
      second.result.outputs.map((o) => o.name),
      [outputOf(names[1])],
    );
  });

  test('retry of a run with 2 failed tasks converts exactly those 2', async () => {
    const failing = [names[2], names[5]];
    const dir = folder(failing);
    const id = `retry-${Date.now()}`;
    const first = await runToEnd(id, inputFor(dir));
    assert.equal(first.result.status, 'partially-failed', first.result.message);
    assert.equal(first.created.tasks, 10);
    assert.deepEqual(first.result.failedTasks.map((f) => f.inputBlob).sort(), failing);

    // The cause fixed (as a user would), the retry converts the two and reuses the rest.
    for (const name of failing) fs.writeFileSync(path.join(dir, name), `${name}\n`);
    const before = await emulatorStats(tw.config.batch.url);
    const cli = await runCli(cliEnv, 'retry', id, '--json');
    assert.equal(cli.code, 0, cli.stderr);
    const started = JSON.parse(cli.stdout) as { workflowId: string };
    assert.equal(started.workflowId, `${id}-retry-1`);
    const retried = await resultOf(started.workflowId, before);
    assert.equal(retried.result.status, 'succeeded', retried.result.message);
    assert.equal(retried.created.tasks, 2);
    assert.equal(retried.result.reused, 8);
    assert.equal(retried.result.outputContainer, first.result.outputContainer);
    assert.deepEqual(retried.result.outputs.map((o) => o.name).sort(), failing.map(outputOf));

    // A second retry gets the next id.
    const again = await runCli(cliEnv, 'retry', id, '--json');
    assert.equal(again.code, 0, again.stderr);
    const next = JSON.parse(again.stdout) as { workflowId: string };
    assert.equal(next.workflowId, `${id}-retry-2`);
    const nothingLeft = await tw.client.workflow
      .getHandle<TranscodeWorkflow>(next.workflowId)
      .result();
    assert.equal(nothingLeft.reused, 10);
  });

  test('retry of an unknown or still-running run: a clear message, exit 2, nothing started', async () => {
    const unknown = await runCli(cliEnv, 'retry', 'no-such-run-here');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No run no-such-run-here in this namespace: check the id/);

    const id = `retry-running-${Date.now()}`;
    const dir = folder();
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId: id,
      args: [
        inputFor(dir, undefined, {
          input: { localDir: dir, pattern: names[0] },
          output: { commandTemplate: '/bin/bash -c "sleep 60; cp {input} {output}"' },
        }),
      ],
    });
    try {
      const running = await runCli(cliEnv, 'retry', id);
      assert.equal(running.code, 2);
      assert.match(running.stderr, new RegExp(`Run ${id} is still running: nothing was started`));
      await assert.rejects(
        tw.client.workflow.getHandle(`${id}-retry-1`).describe(),
        WorkflowNotFoundError,
      );
    } finally {
      await handle.cancel();
      await handle.result().catch(() => undefined);
    }
  });
});
