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
import { planTranscode, type Progress, type TranscodeInput } from '../../src/transcode';
import type { EmulatorStats } from 'azure-batch-emulator/control';
import { FaultHarness, resetOutcomes } from '../helpers/fault-harness';

const FILE = 'worker-kills';

type StartedRun = Awaited<ReturnType<FaultHarness['startRun']>>;

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

  /**
   * One scenario: start a run (with the emulator holding some answers back), wait for the
   * moment, SIGKILL the worker, lift the faults, start it again; the run must end clean.
   */
  async function killDuring(scenario: {
    id: string;
    input: TranscodeInput;
    /** Answers the emulator delays until the worker is killed. */
    delays?: Record<string, number>;
    moment: string;
    when: (
      progress: Progress,
      stats: EmulatorStats,
      run: { handle: StartedRun; before: EmulatorStats },
    ) => boolean | Promise<boolean>;
    /** Time between the moment and the kill. */
    settleMs?: number;
    /** The fault table's line, once the run ended. */
    describe: () => string;
    tasks: number;
  }) {
    const before = await h.stats();
    if (scenario.delays) await h.faults({ responseDelayMs: scenario.delays });
    const handle = await h.startRun(scenario.id, scenario.input);
    await h.waitFor(handle, scenario.moment, (p, s) => scenario.when(p, s, { handle, before }));
    if (scenario.settleMs) await sleep(scenario.settleMs);
    await h.worker.kill();
    if (scenario.delays) await h.faults({});
    await h.worker.start();
    const result = await handle.result();
    await h.assertCleanRun(FILE, scenario.describe(), before, handle, result, scenario.tasks);
    return result;
  }

  test('during the upload, after some files', async () => {
    const input: TranscodeInput = {
      input: { localDir: bigFiles(24, 6), pattern: '*.bin' },
      output: { extension: 'out', commandTemplate: copy },
      pool,
    };
    let stored = 0;
    await killDuring({
      id: 'kill-upload',
      input,
      moment: 'some files uploaded, not all',
      when: async (_p, _s, { handle }) => {
        const { inputContainer } = planTranscode(
          handle.workflowId,
          input,
          handle.firstExecutionRunId,
        );
        stored = (await h.outputBlobs(inputContainer).catch(() => [])).length;
        return stored > 0 && stored < 24;
      },
      describe: () => `worker killed during the upload (after ${stored} of 24 files)`,
      tasks: 24,
    });
  });

  /** Moments on the run of three clips, told apart only by when the kill comes. */
  const onClips: Array<Omit<Parameters<typeof killDuring>[0], 'input' | 'tasks'>> = [
    {
      id: 'kill-pool-create',
      delays: { Pool_Add: 6000 },
      moment: 'the pool exists but the workflow has not heard',
      when: (p, s) => s.live.pools > 0 && !p.pool.created,
      describe: () => 'worker killed after Pool_Add was sent, before its answer',
    },
    {
      id: 'kill-pool-wait',
      moment: 'pool created, not steady',
      when: (p) => p.pool.created && p.pool.allocationState === 'resizing',
      describe: () => 'worker killed during the pool allocation wait',
    },
    {
      id: 'kill-collect',
      delays: { Task_List: 4000 },
      moment: 'collecting results',
      when: (p) => p.phase === 'collecting',
      describe: () => 'worker killed during result collection and verification',
    },
  ];
  for (const scenario of onClips) {
    test(`${scenario.id}: ${scenario.moment}`, async () => {
      await killDuring({ ...scenario, input: { input: { localDir: clips }, pool }, tasks: 3 });
    });
  }

  test('between addCollection chunks of a 500-task job', async () => {
    const answeredIn = (s: EmulatorStats) =>
      Object.values(s.operations.Task_AddCollection ?? {}).reduce((a, b) => a + b, 0);
    let answered = 0;
    await killDuring({
      id: 'kill-add-tasks',
      input: {
        input: { localDir: tinyFiles(500), pattern: '*.bin' },
        output: { extension: 'out', commandTemplate: copy },
        // 16 slots need 4 cores: Batch allows at most 4 slots per core.
        pool: { lowPriorityNodes: 2, taskSlotsPerNode: 16, vmSize: 'STANDARD_D4s_v3' },
      },
      delays: { Task_AddCollection: 1200 },
      moment: 'some chunks added, not all',
      // Tasks are added as their inputs are stored: while the upload goes on, then after it.
      when: (p, s, { before }) => {
        answered = answeredIn(s) - answeredIn(before);
        const adding = p.phase === 'uploading' || p.phase === 'adding-tasks';
        return adding && p.job.created && answered >= 1 && answered < 5;
      },
      describe: () =>
        `worker killed between addCollection requests (${answered} answered, 500 tasks)`,
      tasks: 500,
    });
  });

  test('during the durable wait', async () => {
    await killDuring({
      id: 'kill-wait',
      input: {
        input: { localDir: clips },
        output: { commandTemplate: '/bin/bash -c "sleep 3; ffmpeg -y -i {input} {output}"' },
        pool,
      },
      moment: 'tasks running, the task watch polling',
      // The watch has heartbeated: the kill takes an attempt in flight, which a retry resumes.
      when: async (p, _s, { handle }) =>
        p.phase === 'running' &&
        p.tasks.counts.running > 0 &&
        (await h.heartbeat(handle, 'watchTasks')) !== undefined,
      describe: () => 'worker killed during the durable wait, while the task watch polled',
      tasks: 3,
    });
  });

  test('during the download of the outputs', async () => {
    const download = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-download-'));
    await killDuring({
      id: 'kill-download',
      input: {
        input: { localDir: bigFiles(8, 12), pattern: '*.bin' },
        output: { extension: 'out', commandTemplate: copy, downloadDir: download },
        pool,
      },
      moment: 'downloading',
      when: (p) => p.phase === 'downloading',
      describe: () => 'worker killed during the download of the outputs',
      tasks: 8,
    });
    const files = fs.readdirSync(download).sort();
    assert.deepEqual(
      files,
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `big-${i}.out`),
      'partial or missing downloads',
    );
    for (const f of files) assert.equal(fs.statSync(path.join(download, f)).size, 12 * 1024 * 1024);
  });

  test('during cleanup', async () => {
    const result = await killDuring({
      id: 'kill-cleanup',
      input: { input: { localDir: clips }, pool },
      delays: { Pool_Delete: 5000 },
      // The job is deleted before the pool: once it is, the (delayed) pool delete is in flight.
      moment: 'deleting the pool',
      when: (p) => p.phase === 'cleaning-up' && p.cleanup.deleted.some((d) => d.startsWith('job ')),
      settleMs: 500,
      describe: () => 'worker killed during cleanup (pool delete in flight)',
      tasks: 3,
    });
    // The delete the killed attempt sent is reported: the pool is gone because of it.
    assert.ok(
      result.resources.deleted.some((r) => r.startsWith('pool ')),
      JSON.stringify(result.resources),
    );
  });
});
