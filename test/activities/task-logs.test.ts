// A failed task's reason outlives its node: Batch keeps its stdout and stderr in the output
// container under the run's prefix, and the results read the stderr from there once the node
// that ran the task is gone (here the pool is deleted; in a run, a shrink or a preemption).
// Against the test stack's Azurite and emulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAzureClients } from '../../src/azure-clients';
import { createActivities } from '../../src/activities';
import type { RunResults } from '../../src/activities/batch/run-results';
import { writeManifest } from '../../src/activities/storage';
import {
  planTasks,
  taskLogsPrefix,
  TUTORIAL_DEFAULTS,
  type InputFile,
  type ManifestRef,
} from '../../src/transcode';
import { testConfig } from '../helpers/stack';

type Activities = ReturnType<typeof createActivities>;

const EXTENSION = 'out';
const COMMAND = '/bin/bash -c "echo cannot make {output} from {input} >&2; exit 3"';

/** Polls `check` until it gives a value, or fails saying what it waited for. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('a failed task whose node is gone', () => {
  let clients: ReturnType<typeof createAzureClients>;
  let activities: Activities;
  const stamp = `logs-${Date.now()}`;
  const owner = `${stamp}/first-run`;
  const inputContainer = `${stamp}-in`;
  const outputContainer = `${stamp}-out`;
  const poolId = `pool-${stamp}`;
  const jobId = `job-${stamp}`;
  const files: InputFile[] = [{ blobName: 'broken.bin', size: 1 }];
  const [task] = planTasks(files, EXTENSION, COMMAND);
  let manifest: ManifestRef;

  before(async () => {
    clients = createAzureClients(await testConfig());
    activities = createActivities(clients);
    const { blobService } = clients.storage;
    await blobService.getContainerClient(inputContainer).create();
    await blobService.getContainerClient(outputContainer).create();
    await blobService
      .getContainerClient(inputContainer)
      .getBlockBlobClient('broken.bin')
      .upload('x', 1);
    manifest = await writeManifest(
      blobService,
      { container: outputContainer, blobName: `_runs/${stamp}/inputs.jsonl.gz` },
      files,
    );
    await activities.createPoolIfAbsent({
      // The tutorial's pool, one node.
      pool: { ...TUTORIAL_DEFAULTS.pool, id: poolId, lowPriorityNodes: 1 },
      ownerWorkflowId: owner,
    });
    await activities.createJobIfAbsent({ jobId, poolId, ownerWorkflowId: owner });
    type AddArgs = Parameters<Activities['addTasks']>[0];
    await new MockActivityEnvironment().run((args: AddArgs) => activities.addTasks(args), {
      jobId,
      manifest,
      extension: EXTENSION,
      commandTemplate: COMMAND,
      inputContainer,
      outputContainer,
      sasValidForMs: 3600_000,
      maxTaskRetryCount: 0,
      logsPrefix: taskLogsPrefix(owner),
    });
    await waitFor('the task to fail', async () => {
      const got = await clients.batch.task.get(jobId, task.taskId);
      return got.state === 'completed' ? true : undefined;
    });
    // The node goes with its pool, and the task's own files with it.
    await clients.batch.pool.deleteMethod(poolId);
    await waitFor('the pool to be gone', async () =>
      (await clients.batch.pool.exists(poolId)).body ? undefined : true,
    );
  });

  after(async () => {
    await clients.batch.job.deleteMethod(jobId).catch(() => undefined);
    await clients.batch.pool.deleteMethod(poolId).catch(() => undefined);
    for (const container of [inputContainer, outputContainer]) {
      await clients.storage.blobService.getContainerClient(container).deleteIfExists();
    }
  });

  type CollectArgs = Parameters<Activities['collectRunResults']>[0];
  const collectIn = (args: CollectArgs) => activities.collectRunResults(args);
  const collect = (logsPrefix?: string) =>
    new MockActivityEnvironment().run<[CollectArgs], RunResults, typeof collectIn>(collectIn, {
      jobId,
      manifest,
      extension: EXTENSION,
      commandTemplate: COMMAND,
      outputContainer,
      listBlob: { container: outputContainer, blobName: `_runs/${stamp}/results.jsonl.gz` },
      ...(logsPrefix ? { logsPrefix } : {}),
    });

  test('its node no longer serves its stderr', async () => {
    await assert.rejects(clients.batch.file.getFromTask(jobId, task.taskId, 'stderr.txt'));
  });

  test('the results read it from the copy kept in the output container, and say where it is', async () => {
    const results = await collect(taskLogsPrefix(owner));
    assert.equal(results.failedCount, 1);
    const [failed] = results.failed;
    assert.equal(failed.taskId, task.taskId);
    assert.equal(failed.inputBlob, 'broken.bin');
    assert.equal(failed.exitCode, 3);
    assert.match(failed.stderrTail ?? '', /cannot make \S+ from \S+/);
    assert.equal(failed.logs, `${taskLogsPrefix(owner)}/${task.taskId}`);
    const kept = clients.storage.blobService
      .getContainerClient(outputContainer)
      .getBlobClient(`${failed.logs}/stdout.txt`);
    assert.equal(await kept.exists(), true, 'stdout.txt is kept beside stderr.txt');
  });

  test('without the kept copy (runs from before it) the result says why there is none', async () => {
    const [failed] = (await collect()).failed;
    assert.match(failed.stderrTail ?? '', /^\(stderr\.txt not available: the node's: /);
    assert.equal(failed.logs, undefined);
  });
});
