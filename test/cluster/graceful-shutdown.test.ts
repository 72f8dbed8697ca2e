// SIGTERM to a worker (as `docker stop` or systemd send it) while a run's upload is running:
// the worker stops polling, gives the upload its grace time, cancels it at the next file and
// exits 0 within the bound; a worker started again finishes the run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { createAzureClients } from '../../src/azure-clients';
import { dataConverter } from '../../src/payload-codec';
import { WorkerProcess } from '../../src/stack/worker-process';
import {
  planTranscode,
  type TranscodeInput,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../../src/transcode';
import { PROMPT_RETRIES } from '../helpers/fault-harness';
import { testConfig } from '../helpers/stack';

const GRACE_SECONDS = 3;
const FILES = 16;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graceful-'));
let worker: WorkerProcess | undefined;
after(async () => {
  await worker?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('SIGTERM during an upload: exit 0 within the grace time, the run completes after', async (t) => {
  const config = await testConfig();
  const taskQueue = `graceful-${process.pid}-${Date.now()}`;
  worker = new WorkerProcess({
    env: {
      TEMPORAL_ADDRESS: config.temporal.address,
      AZURITE_BLOB_PORT: String(config.stack.ports.azurite),
      BATCH_EMULATOR_PORT: String(config.stack.ports.batch),
      TEMPORAL_TASK_QUEUE: taskQueue,
      DURABLE_BATCH_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
    },
  });
  await worker.start();
  const inputs = path.join(dir, 'inputs');
  fs.mkdirSync(inputs);
  for (let i = 0; i < FILES; i++) {
    fs.writeFileSync(path.join(inputs, `big-${i}.bin`), Buffer.alloc(6 * 1024 * 1024, i));
  }
  const input: TranscodeInput = {
    input: { localDir: inputs, pattern: '*.bin' },
    output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
    pool: { lowPriorityNodes: 1, taskSlotsPerNode: 4 },
    cleanup: { policy: 'always' },
    polling: PROMPT_RETRIES,
  };
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, dataConverter });
    const handle = await client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `graceful-${Date.now()}`,
      args: [input],
    });
    const { inputContainer } = planTranscode(handle.workflowId, input, handle.firstExecutionRunId);
    const container =
      createAzureClients(config).storage.blobService.getContainerClient(inputContainer);
    const stored = async () => {
      let n = 0;
      if (!(await container.exists())) return 0;
      for await (const _ of container.listBlobsFlat()) n++;
      return n;
    };
    const deadline = Date.now() + 60_000;
    let before = 0;
    while (Date.now() < deadline && (before = await stored()) === 0) await sleep(50);
    assert.ok(before > 0 && before < FILES, `the upload was not under way (${before} stored)`);

    const sent = Date.now();
    const exit = await worker.stop(60_000);
    const exitMs = Date.now() - sent;
    const afterStop = await stored();
    t.diagnostic(
      `SIGTERM with ${before}/${FILES} files stored: exit ${JSON.stringify(exit)} after ` +
        `${exitMs} ms (grace ${GRACE_SECONDS} s); ${afterStop}/${FILES} stored by then`,
    );
    assert.deepEqual(exit, { code: 0, signal: null }, worker.log());
    // The grace time, and a few seconds for shutting down the rest (the bound is grace + 10 s).
    assert.ok(exitMs < (GRACE_SECONDS + 8) * 1000, `took ${exitMs} ms to exit`);

    await worker.start();
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.equal(result.outputCount, FILES);
  } finally {
    await connection.close();
  }
});
