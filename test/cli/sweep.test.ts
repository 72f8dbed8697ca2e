// `client sweep`: a terminated run's pool and job are orphans (listed, then deleted with
// --delete); a pool without our metadata and a pool whose owner is still running are never
// listed nor touched; an owner unknown to the namespace counts as gone. The same for the input
// and selection manifests under `_runs/<owner>/`; results lists, outputs and blobs without our
// owner naming are never touched.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BatchServiceClient } from '@azure/batch';
import type { ContainerClient } from '@azure/storage-blob';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { OWNER_METADATA } from '../../src/activities/batch';
import { createAzureClients } from '../../src/azure-clients';
import { makeClip } from '../../src/demo/samples';
import {
  approveCleanupSignal,
  progressQuery,
  TRANSCODE_WORKFLOW_TYPE,
  type Progress,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { testConfig } from '../helpers/stack';
import { runCli } from '../helpers/cli';
import { startTestWorker, type TestWorker } from '../helpers/worker';

type Listed = {
  orphans: Array<{ kind: string; id: string; owner: string; state: string; deleted?: boolean }>;
  deleted: number;
  failed: number;
};

describe('client sweep', () => {
  let tw: TestWorker;
  let batch: BatchServiceClient;
  let outputs: ContainerClient;
  let clips: string;
  const prefix = `sweep-${process.pid}-${Date.now()}`;
  const madePools: string[] = [];
  const runs: Array<WorkflowHandleWithFirstExecutionRunId<TranscodeWorkflow>> = [];

  before(async () => {
    tw = await startTestWorker(await testConfig(), 'sweep');
    const clients = createAzureClients(tw.config);
    batch = clients.batch;
    outputs = clients.storage.blobService.getContainerClient(`${prefix}-output`);
    await outputs.createIfNotExists();
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-'));
    await makeClip(path.join(clips, 'clip.mp4'), 1);
  });

  after(async () => {
    for (const handle of runs) {
      await handle.signal(approveCleanupSignal, { deleteJob: true, deletePool: true }).catch(
        () => undefined, // already ended
      );
      await handle.result().catch(() => undefined);
    }
    for (const id of madePools) await batch.pool.deleteMethod(id).catch(() => undefined);
    await outputs.deleteIfExists();
    fs.rmSync(clips, { recursive: true, force: true });
  });

  /** The CLI as a user runs it, against the test stack. */
  const cli = (...args: string[]) =>
    runCli({ TEMPORAL_ADDRESS: tw.config.temporal.address }, ...args);

  async function startWaiting(name: string) {
    const handle = await tw.client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: tw.taskQueue,
      workflowId: `${prefix}-${name}`,
      args: [
        {
          input: { localDir: clips },
          pool: { lowPriorityNodes: 1 },
          cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
          polling: { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 },
        },
      ],
    });
    runs.push(handle);
    let progress: Progress | undefined;
    for (let i = 0; i < 600; i++) {
      progress = await handle.query(progressQuery);
      if (progress.phase === 'awaiting-cleanup-decision') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(progress?.phase, 'awaiting-cleanup-decision', JSON.stringify(progress));
    return { handle, progress };
  }

  async function addPool(id: string, owner?: string) {
    await batch.pool.add({
      id,
      vmSize: 'STANDARD_A1_v2',
      virtualMachineConfiguration: {
        imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server-gen1' },
        nodeAgentSKUId: 'batch.node.ubuntu 24.04',
      },
      targetDedicatedNodes: 0,
      metadata: owner ? [{ name: OWNER_METADATA, value: owner }] : undefined,
    });
    madePools.push(id);
  }

  /** A blob in the test's output container; returns its sweep id (`<container>/<name>`). */
  async function addBlob(name: string): Promise<string> {
    await outputs.getBlockBlobClient(name).upload('x', 1);
    return `${outputs.containerName}/${name}`;
  }
  const blobExists = (id: string) =>
    outputs.getBlobClient(id.slice(outputs.containerName.length + 1)).exists();

  /**
   * Whether a pool or job is there and not being deleted, in one request: a resource still
   * `deleting` at an exists check can be gone by the get after it.
   */
  const presentBy =
    (get: (id: string) => Promise<{ state?: string }>) =>
    (id: string): Promise<boolean> =>
      get(id).then(
        (resource) => resource.state !== 'deleting',
        (err: { statusCode?: number }) => {
          if (err.statusCode === 404) return false;
          throw err;
        },
      );
  const jobExists = presentBy((id) => batch.job.get(id));
  const poolExists = presentBy((id) => batch.pool.get(id));

  test('lists and deletes exactly the pools, jobs and input manifests of runs no longer running', async () => {
    const ended = await startWaiting('terminated');
    const live = await startWaiting('running');
    await ended.handle.terminate('sweep test: leave the pool and job behind');

    const foreignPool = `${prefix}-foreign`;
    const livePool = `${prefix}-live-owned`;
    const gonePool = `${prefix}-gone-owned`;
    await addPool(foreignPool);
    await addPool(livePool, `${live.handle.workflowId}/${live.handle.firstExecutionRunId}`);
    await addPool(gonePool, `${prefix}-never-ran/${randomUUID()}`);
    // The live run's workflow id, but another run chain: not the live run's, so an orphan.
    const reusedPool = `${prefix}-reused-id`;
    const reusedOwner = `${live.handle.workflowId}/${randomUUID()}`;
    await addPool(reusedPool, reusedOwner);

    const endedOwner = `${ended.handle.workflowId}/${ended.handle.firstExecutionRunId}`;
    const liveOwner = `${live.handle.workflowId}/${live.handle.firstExecutionRunId}`;
    // Manifests: the terminated run's input manifest (its cleanup never ran), a gone owner's
    // input and selection manifests and upload progress; kept: its results and outputs, the live run's manifest,
    // a bare owner (no first run id) and an owner that may have been sanitized (`_`).
    const goneOwner = `${prefix}-gone-manifests/${randomUUID()}`;
    const endedInputs = await addBlob(`_runs/${endedOwner}/inputs.jsonl.gz`);
    const goneInputs = await addBlob(`_runs/${goneOwner}/inputs.jsonl.gz`);
    const goneSelected = await addBlob(`_runs/${goneOwner}/selected.jsonl.gz`);
    const goneUploaded = await addBlob(`_runs/${goneOwner}/uploaded.json`);
    const kept = [
      await addBlob(`_runs/${goneOwner}/results.jsonl.gz`),
      await addBlob('LowPriVMs-1.mp3'),
      await addBlob(`_runs/${liveOwner}/inputs.jsonl.gz`),
      await addBlob(`_runs/${prefix}-bare/inputs.jsonl.gz`),
      await addBlob(`_runs/${prefix}_sanitized/${randomUUID()}/inputs.jsonl.gz`),
    ];
    const expected = [
      `job ${ended.progress.job.id} ${endedOwner} terminated`,
      `pool ${ended.progress.pool.id} ${endedOwner} terminated`,
      `pool ${gonePool} ${prefix}-never-ran/ not found`,
      `pool ${reusedPool} ${reusedOwner} not found`,
      `manifest ${endedInputs} ${endedOwner} terminated`,
      `manifest ${goneInputs} ${goneOwner} not found`,
      `manifest ${goneSelected} ${goneOwner} not found`,
      `manifest ${goneUploaded} ${goneOwner} not found`,
    ].sort();
    const neverRan = `${prefix}-never-ran/`;
    const key = (o: Listed['orphans'][number]) =>
      `${o.kind} ${o.id} ${o.owner.startsWith(neverRan) ? neverRan : o.owner} ${o.state}`;

    // Unfiltered: ours are there, the foreign and the live-owned pool are not (other test files
    // may have left orphans of their own on the shared stack).
    const all = await cli('sweep', '--json');
    assert.equal(all.code, 0, all.stderr);
    const allListed = JSON.parse(all.stdout) as Listed;
    const allIds = allListed.orphans.map((o) => o.id);
    for (const id of [
      foreignPool,
      livePool,
      live.progress.pool.id,
      live.progress.job.id,
      ...kept,
    ]) {
      assert.ok(!allIds.includes(id), `${id} listed: ${all.stdout}`);
    }
    const ours = allListed.orphans.filter((o) => o.owner.startsWith(prefix)).map(key);
    assert.deepEqual(ours.sort(), expected);

    // Text output, restricted to this test's owners: one line per orphan and a summary.
    const text = await cli('sweep', '--owner-prefix', prefix);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, 9, text.stdout);
    assert.match(
      lines[0],
      new RegExp(`^job +${ended.progress.job.id} +owner ${endedOwner} \\(terminated\\)$`),
    );
    assert.match(
      text.stdout,
      new RegExp(`pool +${gonePool} +owner ${prefix}-never-ran/\\S+ \\(not found\\)`),
    );
    assert.match(
      lines[8],
      /^8 orphan\(s\) \(1 job\(s\), 3 pool\(s\), 4 manifest\(s\)\); .* 4 owned by a running workflow/,
    );
    assert.match(
      text.stdout,
      new RegExp(`manifest +${goneSelected} +owner ${goneOwner} \\(not found\\)`),
    );
    assert.match(
      text.stdout,
      new RegExp(
        `pool +${reusedPool} +owner ${reusedOwner} \\(not found\\) — workflow id .* now belongs to another run`,
      ),
    );
    console.log(text.stdout);

    // Nothing was deleted by listing.
    assert.ok(await poolExists(ended.progress.pool.id));
    assert.ok(await jobExists(ended.progress.job.id));
    for (const id of [endedInputs, goneInputs, goneSelected, goneUploaded]) {
      assert.ok(await blobExists(id));
    }

    const deleted = await cli('sweep', '--delete', '--json', '--owner-prefix', prefix);
    assert.equal(deleted.code, 0, deleted.stderr);
    const result = JSON.parse(deleted.stdout) as Listed;
    assert.deepEqual(result.orphans.map(key).sort(), expected);
    assert.equal(result.deleted, 8);
    assert.equal(result.failed, 0);

    assert.equal(await jobExists(ended.progress.job.id), false);
    assert.equal(await poolExists(ended.progress.pool.id), false);
    assert.equal(await poolExists(gonePool), false);
    assert.equal(await poolExists(reusedPool), false);
    assert.ok(await poolExists(foreignPool), 'the pool without our metadata was deleted');
    assert.ok(await poolExists(livePool), 'a pool of a running workflow was deleted');
    assert.ok(await poolExists(live.progress.pool.id), 'the running run lost its pool');
    assert.ok(await jobExists(live.progress.job.id), 'the running run lost its job');
    for (const id of [endedInputs, goneInputs, goneSelected, goneUploaded]) {
      assert.equal(await blobExists(id), false, `${id} not deleted`);
    }
    for (const id of kept) assert.ok(await blobExists(id), `${id} was deleted`);

    // Idempotent: a second sweep finds nothing of ours; deleting again is not an error.
    const again = await cli('sweep', '--delete', '--owner-prefix', prefix);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^0 orphan\(s\)/);

    // Bad usage exits 2.
    const bad = await cli('sweep', '--no-such-option');
    assert.equal(bad.code, 2, bad.stderr);
  });
});
