// Faults of the services around a run: the Temporal server SIGKILLed and restarted on its
// SQLite file, Batch answering 500/503/429 and resetting connections, a low-priority node
// preempted under running tasks, Azurite stopped during the upload. Each run must complete
// with every resource created once and nothing left behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeSampleClips } from '../../src/demo/samples';
import { startAzurite } from '../../src/stack/azurite';
import { startTemporal } from '../../src/stack/temporal';
import {
  cancelSignal,
  planTranscode,
  RUN_BLOB_PREFIX,
  UPLOAD_PROGRESS_FILE,
  type TranscodeInput,
} from '../../src/transcode';
import {
  FaultHarness,
  recordRunOutcome,
  resetOutcomes,
  type TranscodeHandle,
} from '../helpers/fault-harness';
import { startHoldingProxy, type HoldingProxy, type ProxyRules } from '../helpers/holding-proxy';

const FILE = 'services';

describe('service faults during a run', () => {
  const h = new FaultHarness();
  const extraStops: Array<() => Promise<void>> = [];
  let clips: string;

  before(async () => {
    resetOutcomes(FILE);
    await h.start();
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-clips-'));
    await makeSampleClips(clips, 4, 1);
  });
  after(async () => {
    // The restarted services write into the harness's data dir: stopped before it is removed
    // (the other way round the removal fails and they keep this process alive).
    try {
      for (const stop of extraStops) await stop();
    } finally {
      await h.stop();
    }
  });

  const pool = { lowPriorityNodes: 2, taskSlotsPerNode: 2 };

  test('Temporal dev server SIGKILLed during the wait and restarted on the same SQLite file', async () => {
    const before = await h.stats();
    const handle = await h.startSlowRun('kill-temporal', { input: { localDir: clips }, pool }, 3);
    await h.tasksRunning(handle);
    const server = h.stack.temporal.child;
    assert.ok(server, 'the test stack did not start its own Temporal server');
    process.kill(server.pid, 'SIGKILL');
    await sleep(1500);
    const restarted = await startTemporal({
      dataDir: h.stack.dataDir,
      port: Number(h.config.temporal.address.split(':')[1]),
      uiPort: Number(new URL(h.stack.temporal.uiUrl).port),
      reuse: false,
    });
    extraStops.push(() => restarted.stop());
    if (!h.worker.alive()) await h.worker.start();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'Temporal server SIGKILLed during the wait, restarted on its SQLite file',
      before,
      handle,
      result,
      4,
    );
  });

  test('Batch answers 500, 503, 429 with Retry-After and resets connections (~12 % of requests)', async () => {
    const before = await h.stats();
    await h.faults({
      internalErrorRate: 0.03,
      serverBusyRate: 0.03,
      throttleRate: 0.03,
      retryAfterSeconds: 1,
      connectionResetRate: 0.03,
      seed: 42,
    });
    let injected: number;
    try {
      // Tasks that take a while, so the run makes enough requests for the rates to bite.
      const handle = await h.startSlowRun('flaky-batch', { input: { localDir: clips }, pool }, 2);
      const result = await handle.result();
      const stats = await h.stats();
      injected =
        Object.values(stats.faults).reduce((a, b) => a + b, 0) -
        Object.values(before.faults).reduce((a, b) => a + b, 0);
      await h.faults({});
      const requests = (s: typeof stats) =>
        Object.values(s.operations)
          .flatMap((byStatus) => Object.values(byStatus))
          .reduce((a, b) => a + b, 0);
      await h.assertCleanRun(
        FILE,
        `Batch faults: ${injected} of ${requests(stats) - requests(before)} requests answered 500/503/429 or reset`,
        before,
        handle,
        result,
        4,
      );
    } finally {
      await h.faults({});
    }
    assert.ok(injected >= 3, `only ${injected} fault(s) injected: the scenario tested too little`);
  });

  for (const held of [
    { operation: 'Pool_Add', what: 'pool' },
    { operation: 'Job_Add', what: 'job' },
  ] as const) {
    test(`the cancel signal while Batch has not yet acted on the ${held.what} request: deleted after it lands`, async () => {
      const before = await h.stats();
      const answered = (stats: typeof before) =>
        Object.values(stats.operations[held.operation] ?? {}).reduce((a, b) => a + b, 0);
      // Held before Batch acts on it, shorter than the call timeout so it is not sent twice.
      await h.faults({ slowRate: 1, slowDelayMs: 1500, operations: [held.operation] });
      try {
        const handle = await h.startRun(`cancel-${held.what}-on-its-way`, {
          input: { localDir: clips },
          pool,
        });
        await h.waitFor(
          handle,
          `the ${held.what} request held by Batch`,
          (_progress, stats) => (stats.faults.slow ?? 0) > (before.faults.slow ?? 0),
        );
        await handle.signal(cancelSignal, {
          reason: `cancelled while the ${held.what} is created`,
        });
        const result = await handle.result();
        assert.equal(result.status, 'cancelled', result.message);
        // Once Batch has acted on it (before cleanup, or after: the leak), nothing is left.
        for (let i = 0; i < 100 && answered(await h.stats()) === answered(before); i++) {
          await sleep(100);
        }
        assert.ok(answered(await h.stats()) > answered(before), 'the request never landed');
        const run = h.resourcesOf(handle);
        const created = await recordRunOutcome(FILE, {
          scenario: `cancel signal while Batch holds the ${held.what} request`,
          batchUrl: h.config.batch.url,
          batch: h.azure.batch,
          before,
          run,
          note: `${result.status}: ${result.message.split('\n')[0]}`,
        });
        assert.equal(created[`${held.what}s`], 1);
        const id = held.what === 'pool' ? run.poolId : run.jobId;
        assert.ok(
          result.resources.deleted.includes(`${held.what} ${id}`),
          result.resources.deleted.join(),
        );
      } finally {
        await h.faults({});
      }
    });
  }

  /**
   * `body` with the worker reaching Azurite through a proxy with `rules` (Azurite has no faults
   * of its own); the worker is restarted as it was afterwards.
   */
  async function throughProxy(
    rules: ProxyRules,
    body: (proxy: HoldingProxy) => Promise<void>,
  ): Promise<void> {
    const proxy = await startHoldingProxy({
      targetPort: Number(new URL(h.config.storage.blobUrl).port),
      ...rules,
    });
    await h.restartWorker({ AZURITE_BLOB_PORT: String(proxy.port) });
    try {
      await body(proxy);
    } finally {
      await h.restartWorker();
      await proxy.stop();
    }
  }

  /** The cancel signal once the proxy holds a request; the run's result once that request landed. */
  async function cancelWhileHeld(handle: TranscodeHandle, proxy: HoldingProxy, what: string) {
    await h.waitFor(handle, `the ${what} request held`, () => proxy.held > 0);
    await handle.signal(cancelSignal, { reason: `cancelled while the ${what} request is held` });
    const result = await handle.result();
    assert.equal(result.status, 'cancelled', result.message);
    for (let i = 0; i < 100 && proxy.heldAnswered === 0; i++) await sleep(100);
    assert.equal(proxy.heldAnswered, 1, 'the held request never landed');
    return result;
  }

  /** One line of the fault table for a run of these tests. */
  const record = (
    handle: TranscodeHandle,
    before: Awaited<ReturnType<FaultHarness['stats']>>,
    scenario: string,
    note: string,
  ) =>
    recordRunOutcome(FILE, {
      scenario,
      batchUrl: h.config.batch.url,
      batch: h.azure.batch,
      before,
      run: h.resourcesOf(handle),
      note,
    });

  const inputContainerOf = (
    handle: Awaited<ReturnType<FaultHarness['startRun']>>,
    input: TranscodeInput,
  ) => planTranscode(handle.workflowId, input, handle.firstExecutionRunId).inputContainer;

  test('the cancel signal while Azurite has not yet acted on the input container request: deleted after it lands', async () => {
    const before = await h.stats();
    const input: TranscodeInput = { input: { localDir: clips }, pool };
    // The create of the run's input container is held (named once the run has started: its
    // first steps come well before that request).
    let inputContainer = '';
    const hold = (request: http.IncomingMessage) =>
      request.method === 'PUT' &&
      inputContainer !== '' &&
      (request.url ?? '').includes(`/${inputContainer}?`) &&
      (request.url ?? '').includes('restype=container');
    await throughProxy({ holdMs: 1500, hold }, async (proxy) => {
      const handle = await h.startRun('cancel-container-on-its-way', input);
      inputContainer = inputContainerOf(handle, input);
      const result = await cancelWhileHeld(handle, proxy, 'input container');
      const left = await h.azure.storage.blobService.getContainerClient(inputContainer).exists();
      await record(
        handle,
        before,
        'cancel signal while Azurite holds the input container request',
        `${result.status}; input container ${left ? 'LEFT BEHIND' : 'deleted after it landed'}`,
      );
      assert.equal(left, false, `input container ${inputContainer} left behind`);
      assert.ok(
        result.resources.deleted.includes(`container ${inputContainer}`),
        result.resources.deleted.join(),
      );
    });
  });

  test('the cancel signal as the upload starts: the input container, deleted by cleanup, is not created again', async () => {
    const before = await h.stats();
    const input: TranscodeInput = { input: { localDir: clips }, pool };
    // The first request on the run's input container after its create (the upload's first) is
    // held until cleanup has deleted the container; the cancel is sent while it is held.
    let inputContainer = '';
    const onInput = (url: string) =>
      inputContainer !== '' &&
      (url.includes(`/${inputContainer}?`) || url.includes(`/${inputContainer}/`));
    const answered = (proxy: HoldingProxy, method: string, status: number) =>
      proxy.answered.some((a) => a.method === method && a.status === status && onInput(a.url));
    let proxyNow: HoldingProxy | undefined;
    await throughProxy(
      {
        holdMs: 10_000,
        hold: (request, proxy) =>
          proxy.held === 0 && answered(proxy, 'PUT', 201) && onInput(request.url ?? ''),
        release: async () => {
          while (!proxyNow || !answered(proxyNow, 'DELETE', 202)) await sleep(20);
        },
      },
      async (proxy) => {
        proxyNow = proxy;
        const handle = await h.startRun('cancel-as-upload-starts', input);
        inputContainer = inputContainerOf(handle, input);
        const result = await cancelWhileHeld(handle, proxy, 'upload');
        assert.ok(answered(proxy, 'DELETE', 202), 'cleanup did not delete the input container');
        const left = await h.azure.storage.blobService.getContainerClient(inputContainer).exists();
        await record(
          handle,
          before,
          "cancel signal while Azurite holds the upload's first request",
          `${result.status}; input container ${left ? 'CREATED AGAIN' : 'not created again'}`,
        );
        assert.equal(left, false, `input container ${inputContainer} created again after cleanup`);
      },
    );
  });

  // The manifests go into the run's output container, and each write creates it if need be:
  // the inspection's (the first create) and the selection's (the second).
  for (const step of [
    { name: 'cancel-during-inspect', what: 'inspection', nth: 1 },
    { name: 'cancel-during-select', what: 'selection', nth: 2 },
  ]) {
    test(`the cancel signal while the ${step.what} writes its manifest: the output container is not left behind`, async () => {
      const before = await h.stats();
      const input: TranscodeInput = { input: { localDir: clips }, pool };
      // The container is named after the run, unknown until it has started: matched by name.
      const create = new RegExp(`/${step.name}-[^/?]*-output\\?restype=container`);
      let creates = 0;
      const hold = (request: http.IncomingMessage) =>
        request.method === 'PUT' && create.test(request.url ?? '') && ++creates === step.nth;
      await throughProxy({ holdMs: 1500, hold }, async (proxy) => {
        const handle = await h.startRun(step.name, input);
        const { outputContainer } = planTranscode(
          handle.workflowId,
          input,
          handle.firstExecutionRunId,
        );
        const result = await cancelWhileHeld(handle, proxy, `${step.what}’s manifest container`);
        const container = h.azure.storage.blobService.getContainerClient(outputContainer);
        const left = await container.exists();
        const blobs = left ? await h.outputBlobs(outputContainer) : [];
        await record(
          handle,
          before,
          `cancel signal while Azurite holds the create of the ${step.what}’s manifest container`,
          `${result.status}; output container ${left ? `LEFT BEHIND (${blobs.join()})` : 'deleted'}`,
        );
        assert.equal(
          left,
          false,
          `output container ${outputContainer} left behind: ${blobs.join()}`,
        );
      });
    });
  }

  test('the cancel signal while the upload publishes its progress, outputs stored: no run blob is left in the kept output container', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-progress-'));
    for (let i = 0; i < 16; i++) {
      fs.writeFileSync(path.join(dir, `f-${String(i).padStart(2, '0')}.bin`), `file ${i}\n`);
    }
    const before = await h.stats();
    const input: TranscodeInput = {
      input: { localDir: dir, pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
      pool,
    };
    let containers: { input: string; output: string } | undefined;
    let proxyNow: HoldingProxy | undefined;
    let progressHeld = false;
    const progressDeleted = () =>
      proxyNow?.answered.some(
        (a) =>
          a.method === 'DELETE' &&
          a.url.includes(`/${RUN_BLOB_PREFIX}`) &&
          a.url.includes(UPLOAD_PROGRESS_FILE),
      ) ?? false;
    const outputStored = () =>
      proxyNow?.answered.some(
        (a) =>
          a.method === 'PUT' &&
          a.status === 201 &&
          containers !== undefined &&
          a.url.includes(`/${containers.output}/`) &&
          !a.url.includes(`/${containers.output}/${RUN_BLOB_PREFIX}`),
      ) ?? false;
    // The upload stores four files, then the rest wait until a task has stored its output; the
    // first progress write after that is held until cleanup has deleted the progress blob, or
    // for 1.5 s: well within the heartbeat timeout, so the upload is still alive meanwhile.
    const laterInput = (request: http.IncomingMessage) =>
      request.method === 'PUT' &&
      containers !== undefined &&
      (request.url ?? '').includes(`/${containers.input}/f-`) &&
      !/\/f-0[0-3]\.bin/.test(request.url ?? '');
    const progressWrite = (request: http.IncomingMessage) =>
      request.method === 'PUT' &&
      (request.url ?? '').includes(`/${RUN_BLOB_PREFIX}`) &&
      (request.url ?? '').includes(UPLOAD_PROGRESS_FILE);
    await throughProxy(
      {
        holdMs: 10_000,
        hold: (request) => {
          if (laterInput(request)) return true;
          if (progressHeld || !progressWrite(request) || !outputStored()) return false;
          progressHeld = true;
          return true;
        },
        release: async (request) => {
          const heldAt = Date.now();
          const until = progressWrite(request)
            ? () => progressDeleted() || Date.now() - heldAt > 1500
            : outputStored;
          while (!until()) await sleep(20);
        },
      },
      async (proxy) => {
        proxyNow = proxy;
        const handle = await h.startRun('cancel-while-progress-written', input);
        const plan = planTranscode(handle.workflowId, input, handle.firstExecutionRunId);
        containers = { input: plan.inputContainer, output: plan.outputContainer };
        await h.waitFor(handle, 'a progress write held', () => progressHeld, 30_000);
        await handle.signal(cancelSignal, { reason: 'cancelled while a progress write is held' });
        const result = await handle.result();
        assert.equal(result.status, 'cancelled', result.message);
        for (let i = 0; i < 100 && proxy.heldAnswered < proxy.held; i++) await sleep(100);
        assert.equal(proxy.heldAnswered, proxy.held, 'a held request never landed');
        // Whatever the upload still had on its way has landed or failed by now.
        await sleep(1000);
        const blobs = await h.outputBlobs(plan.outputContainer);
        const left = blobs.filter((name) => name.startsWith(RUN_BLOB_PREFIX));
        await record(
          handle,
          before,
          "cancel signal while Azurite holds the upload's progress write, outputs stored",
          `${result.status}; ${blobs.length - left.length} output(s) kept; run blobs ${left.length > 0 ? `LEFT: ${left.join()}` : 'none left'}`,
        );
        assert.ok(blobs.length > left.length, `no output was kept: ${blobs.join()}`);
        assert.deepEqual(left, [], `run blobs left in ${plan.outputContainer}`);
      },
    );
  });

  // Tasks move their files with the URLs the worker makes, so through the proxy too: it answers
  // one task's first transfer itself, with 503 (ServerBusy). Downloads are GETs of input blobs
  // (not listings); uploads are PUTs of outputs (not the run's own blobs under _runs/).
  for (const transfer of [
    { what: 'input download', name: 'busy-download', method: 'GET', container: 'input' },
    { what: 'output upload', name: 'busy-upload', method: 'PUT', container: 'output' },
  ] as const) {
    test(`storage busy (503) for one task’s ${transfer.what}: the task is tried again, the run succeeds`, async () => {
      const before = await h.stats();
      const input: TranscodeInput = { input: { localDir: clips }, pool };
      let container = '';
      const refuse = (request: http.IncomingMessage, proxy: HoldingProxy) => {
        const url = request.url ?? '';
        const mine =
          container !== '' &&
          request.method === transfer.method &&
          url.includes(`/${container}/`) &&
          !url.includes(`/${container}/_runs`);
        return proxy.refused === 0 && mine ? 503 : undefined;
      };
      await throughProxy({ refuse }, async (proxy) => {
        const handle = await h.startRun(transfer.name, input);
        const plan = planTranscode(handle.workflowId, input, handle.firstExecutionRunId);
        container = transfer.container === 'input' ? plan.inputContainer : plan.outputContainer;
        const result = await handle.result();
        assert.equal(proxy.refused, 1, `no ${transfer.what} was refused`);
        assert.equal(result.tasksRetried, 1, `tried again: ${result.tasksRetried ?? 0}`);
        await h.assertCleanRun(
          FILE,
          `Storage answers 503 to one task’s ${transfer.what} (the task tried again)`,
          before,
          handle,
          result,
          4,
        );
      });
    });
  }

  test('a low-priority node preempted while running tasks (its tasks requeued)', async () => {
    const before = await h.stats();
    const handle = await h.startSlowRun('preempt', { input: { localDir: clips }, pool }, 3);
    const progress = await h.tasksRunning(handle);
    const nodes = await h.azure.batch.computeNode.list(progress.pool.id);
    const busy = nodes.find((n) => n.state === 'running');
    assert.ok(busy?.id, 'no running node to preempt');
    const response = await fetch(
      `${h.config.batch.url}/_emulator/pools/${encodeURIComponent(progress.pool.id)}/nodes/${encodeURIComponent(busy.id)}/preempt`,
      { method: 'POST' },
    );
    assert.equal(response.status, 202);
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'a low-priority node preempted under running tasks',
      before,
      handle,
      result,
      4,
    );
  });

  test('Azurite stopped for a few seconds during the upload, then restarted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-upload-'));
    for (let i = 0; i < 24; i++)
      fs.writeFileSync(path.join(dir, `part-${i}.bin`), Buffer.alloc(6 * 1024 * 1024, i));
    const before = await h.stats();
    const input: TranscodeInput = {
      input: { localDir: dir, pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: '/bin/bash -c "cp {input} {output}"' },
      pool,
    };
    const handle = await h.startRun('stop-azurite', input);
    const { inputContainer } = planTranscode(handle.workflowId, input, handle.firstExecutionRunId);
    await h.waitFor(handle, 'some files uploaded, not all', async (p) => {
      if (p.phase !== 'uploading') return false;
      const stored = (await h.outputBlobs(inputContainer).catch(() => [])).length;
      return stored > 0 && stored < 24;
    });
    const port = Number(new URL(h.config.storage.blobUrl).port);
    await h.stack.azurite.stop();
    await sleep(3000);
    const restarted = await startAzurite({ dataDir: h.stack.dataDir, port });
    extraStops.push(() => restarted.stop());
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'Azurite stopped for 3 s during the upload, then restarted',
      before,
      handle,
      result,
      24,
    );
  });
});
