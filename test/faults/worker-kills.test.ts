// The worker SIGKILLed and restarted at eight awkward moments of a run. Each run must still
// complete with every pool, job and task created exactly once, each output stored once, and
// no pool or job left behind. Heartbeat and call timeouts of 3 s make the retries prompt.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeSampleClips } from '../../src/demo/samples';
import { planTranscode, type TranscodeInput } from '../../src/workflows/transcode/input';
import { FaultHarness, resetOutcomes } from '../helpers/fault-harness';

const FILE = 'worker-kills';

function tinyFiles(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-'));
  for (let i = 0; i < count; i++)
    fs.writeFileSync(path.join(dir, `f-${String(i).padStart(4, '0')}.bin`), `${i}\n`);
  return dir;
}

function bigFiles(count: number, megabytes: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'big-'));
  for (let i = 0; i < count; i++) {
    fs.writeFileSync(path.join(dir, `big-${i}.bin`), Buffer.alloc(megabytes * 1024 * 1024, i));
  }
  return dir;
}

describe('worker killed with SIGKILL and restarted', () => {
  const h = new FaultHarness();
  let clips: string;

  before(async () => {
    resetOutcomes(FILE);
    // Slow allocation so the pool wait can be interrupted; two 4-slot nodes.
    await h.start({ batchEnv: { BATCH_EMULATOR_ALLOCATION_DELAY_MS: '2500' } });
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-clips-'));
    await makeSampleClips(clips, 3, 1);
  });
  after(() => h.stop());

  const pool = { lowPriorityNodes: 2, taskSlotsPerNode: 4 };
  const copy = '/bin/bash -c "cp {input} {output}"';

  test('during the upload, after some files', async () => {
    const dir = bigFiles(24, 6);
    const before = await h.stats();
    const input: TranscodeInput = {
      input: { localDir: dir, pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: copy },
      pool,
    };
    const handle = await h.startRun('kill-upload', input);
    const { inputContainer } = planTranscode(handle.workflowId, input, handle.firstExecutionRunId);
    let stored = 0;
    await h.waitFor(handle, 'some files uploaded, not all', async (p) => {
      if (p.phase !== 'uploading') return false;
      stored = (await h.outputBlobs(inputContainer).catch(() => [])).length;
      return stored > 0 && stored < 24;
    });
    await h.worker.restart();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      `worker killed during the upload (after ${stored} of 24 files)`,
      before,
      result,
      24,
    );
  });

  test('after a pool create was sent but before its answer was recorded', async () => {
    const before = await h.stats();
    await h.faults({ responseDelayMs: { Pool_Add: 6000 } });
    const handle = await h.startRun('kill-pool-create', {
      input: { localDir: clips },
      pool,
    });
    await h.waitFor(
      handle,
      'the pool exists but the workflow has not heard',
      (p, s) => s.live.pools > 0 && !p.pool.created,
    );
    await h.worker.kill();
    await h.faults({});
    await h.worker.start();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'worker killed after Pool_Add was sent, before its answer',
      before,
      result,
      3,
    );
  });

  test('during the pool allocation wait', async () => {
    const before = await h.stats();
    const handle = await h.startRun('kill-pool-wait', {
      input: { localDir: clips },
      pool,
    });
    await h.waitFor(
      handle,
      'pool created, not steady',
      (p) => p.pool.created && p.pool.allocationState === 'resizing',
    );
    await h.worker.restart();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'worker killed during the pool allocation wait',
      before,
      result,
      3,
    );
  });

  test('between addCollection chunks of a 500-task job', async () => {
    const dir = tinyFiles(500);
    const before = await h.stats();
    const adds = () =>
      Object.values(before.operations.Task_AddCollection ?? {}).reduce((a, b) => a + b, 0);
    const baseline = adds();
    await h.faults({ responseDelayMs: { Task_AddCollection: 1200 } });
    const handle = await h.startRun('kill-add-tasks', {
      input: { localDir: dir, pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: copy },
      pool: { lowPriorityNodes: 2, taskSlotsPerNode: 16 },
    });
    let answered = 0;
    await h.waitFor(handle, 'some chunks added, not all', (p, s) => {
      answered =
        Object.values(s.operations.Task_AddCollection ?? {}).reduce((a, b) => a + b, 0) - baseline;
      return p.phase === 'adding-tasks' && answered >= 1 && answered < 5;
    });
    await h.worker.kill();
    await h.faults({});
    await h.worker.start();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      `worker killed between addCollection chunks (${answered} of 5 answered)`,
      before,
      result,
      500,
    );
  });

  test('during the durable wait', async () => {
    const before = await h.stats();
    const handle = await h.startRun('kill-wait', {
      input: { localDir: clips },
      output: { commandTemplate: '/bin/bash -c "sleep 3; ffmpeg -y -i {input} {output}"' },
      pool,
    });
    await h.waitFor(
      handle,
      'tasks running',
      (p) => p.phase === 'running' && p.tasks.counts.running > 0,
    );
    await h.worker.restart();
    const result = await handle.result();
    await h.assertCleanRun(FILE, 'worker killed during the durable wait', before, result, 3);
  });

  test('during output verification', async () => {
    const before = await h.stats();
    await h.faults({ responseDelayMs: { Task_List: 4000 } });
    const handle = await h.startRun('kill-collect', {
      input: { localDir: clips },
      pool,
    });
    await h.waitFor(handle, 'collecting results', (p) => p.phase === 'collecting');
    await h.worker.kill();
    await h.faults({});
    await h.worker.start();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'worker killed during result collection and verification',
      before,
      result,
      3,
    );
  });

  test('during the download of the outputs', async () => {
    const dir = bigFiles(8, 12);
    const download = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-download-'));
    const before = await h.stats();
    const handle = await h.startRun('kill-download', {
      input: { localDir: dir, pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: copy, downloadDir: download },
      pool,
    });
    await h.waitFor(handle, 'downloading', (p) => p.phase === 'downloading');
    await h.worker.restart();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'worker killed during the download of the outputs',
      before,
      result,
      8,
    );
    const files = fs.readdirSync(download).sort();
    assert.deepEqual(
      files,
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `big-${i}.out`),
      'partial or missing downloads',
    );
    for (const f of files) assert.equal(fs.statSync(path.join(download, f)).size, 12 * 1024 * 1024);
  });

  test('during cleanup', async () => {
    const before = await h.stats();
    await h.faults({ responseDelayMs: { Pool_Delete: 5000 } });
    const handle = await h.startRun('kill-cleanup', {
      input: { localDir: clips },
      pool,
    });
    // The job is deleted before the pool: once it is, the (delayed) pool delete is in flight.
    await h.waitFor(
      handle,
      'deleting the pool',
      (p) => p.phase === 'cleaning-up' && p.cleanup.deleted.some((d) => d.startsWith('job ')),
    );
    await sleep(500);
    await h.worker.kill();
    await h.faults({});
    await h.worker.start();
    const result = await handle.result();
    await h.assertCleanRun(
      FILE,
      'worker killed during cleanup (pool delete in flight)',
      before,
      result,
      3,
    );
  });
});
