// P2: the user's command (`npm run client -- start --wait`, against a worker already running)
// against a naive program that follows the tutorial step by step (bench/naive-tutorial.ts), on
// the tutorial's five inputs, on a stack of its own with the emulator's default delays (the
// bench's stack shortens them). Each is timed from spawning its process to its exit, process
// start included; after one untimed run of each they alternate, and the figure is the median of
// ours over the median of the naive one. Target: ours / naive <= 0.8.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../src/config';
import { tutorialClip } from '../src/demo/samples';
import { startTestStack } from '../src/stack/stack';
import { WorkerProcess } from '../src/stack/worker-process';
import { CpuMeter, CpuSum } from './cpu';
import type { BenchSizes } from './options';
import { p2Floor } from './p2-floor';
import { median, ratio, round } from './phases';

export const P2_TARGET = { ratioMax: 0.8 };

/** Spawns a command and resolves with its wall time (ms) once it exits 0. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return timedWithOutput(command, args, env).then((r) => r.ms);
}

/** The same, with the end of what it printed. */
function timedWithOutput(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; output: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, output });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`));
    });
  });
}

/** The naive program as one plain JS file (its imports stay in node_modules): no loader at start. */
async function buildNaive(): Promise<string> {
  const outfile = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'bench', 'naive-tutorial.cjs');
  await timed(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'esbuild'),
    [
      path.join('bench', 'naive-tutorial.ts'),
      '--bundle',
      '--platform=node',
      '--packages=external',
      '--log-level=warning',
      `--outfile=${outfile}`,
    ],
    process.env,
  );
  return outfile;
}

/** The tutorial's five inputs: its own 2-minute clip (or a generated one) under five names. */
async function tutorialInputs(dir: string): Promise<string> {
  const first = path.join(dir, 'LowPriVMs-1.mp4');
  const source = await tutorialClip(first);
  for (const i of [2, 3, 4, 5]) fs.copyFileSync(first, path.join(dir, `LowPriVMs-${i}.mp4`));
  return source;
}

export async function benchNaive(sizes: BenchSizes['p2'], say: (s: string) => void) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-bench-p2-'));
  try {
    const inputDir = path.join(dataDir, 'inputs');
    fs.mkdirSync(inputDir);
    say('P2: the tutorial inputs, the naive program, a stack with the default delays');
    const source = await tutorialInputs(inputDir);
    const naiveJs = await buildNaive();
    const stack = await startTestStack(path.join(dataDir, 'stack'));
    const taskQueue = `bench-p2-${process.pid}-${Date.now()}`;
    const stackEnv = { ...stack.env, TEMPORAL_TASK_QUEUE: taskQueue };
    const worker = new WorkerProcess({ env: stackEnv });
    try {
      await worker.start();
      const config = loadConfig({ ...process.env, ...stackEnv });
      const env = { ...process.env, ...stackEnv };
      const ours = (n: number) =>
        timedWithOutput(
          'npm',
          [
            'run',
            'client',
            '--',
            'start',
            '--wait',
            '--input',
            inputDir,
            '--cleanup',
            'always',
            '--workflow-id',
            `bench-p2-${n}-${Date.now()}`,
          ],
          env,
        );
      const naive = (n: number) =>
        timed('node', [naiveJs], {
          ...env,
          NAIVE_INPUT_DIR: inputDir,
          NAIVE_RUN_ID: `${n}-${Date.now().toString(36)}`,
          NAIVE_BATCH_URL: config.batch.url,
          NAIVE_BATCH_ACCOUNT: config.batch.accountName,
          NAIVE_BATCH_KEY: config.batch.accountKey ?? '',
          NAIVE_BLOB_URL: config.storage.blobUrl,
          NAIVE_STORAGE_ACCOUNT: config.storage.accountName,
          NAIVE_STORAGE_KEY: config.storage.accountKey ?? '',
        });
      // One untimed run of each first, as P1 does: a worker that has served runs before, and
      // the naive program's modules and inputs in the page cache as much as ours.
      say('P2: warm-up (one run of each, not counted)');
      const warmUp = { oursMs: round((await ours(0)).ms), naiveMs: round(await naive(0)) };
      const meter = new CpuMeter({
        'bench and the commands it ran': process.pid,
        worker: worker.pid,
        emulator: stack.batch?.child?.pid,
        azurite: stack.azurite.child?.pid,
        temporal: stack.temporal.child?.pid,
      });
      /** CPU each process used during each side's runs, summed (ms), for the mean per run. */
      const cpu = { ours: new CpuSum(), naive: new CpuSum() };
      const oursMs: number[] = [];
      /** Each run's own account of its time (the result's `time:` line, phase by phase). */
      const oursPhases: string[] = [];
      const naiveMs: number[] = [];
      for (let n = 1; n <= sizes.runs; n++) {
        // Alternating which goes first, so that a drift of the machine falls on both.
        const order = n % 2 === 1 ? (['ours', 'naive'] as const) : (['naive', 'ours'] as const);
        for (const which of order) {
          say(`P2: ${which} ${n} of ${sizes.runs}`);
          const runMeter = new CpuMeter(meter.pids);
          if (which === 'ours') {
            const { ms, output } = await ours(n);
            oursMs.push(round(ms));
            oursPhases.push(/^\s*time: (.*)$/m.exec(output)?.[1] ?? '');
          } else naiveMs.push(round(await naive(n)));
          cpu[which].add(runMeter.since());
        }
      }
      say('P2: the floor (the pool alone, ffmpeg alone)');
      const floor = await p2Floor(
        config,
        fs.readdirSync(inputDir).map((f) => path.join(inputDir, f)),
      );
      return {
        inputs: `5 x ${source}`,
        runs: sizes.runs,
        ratio: ratio(median(oursMs), median(naiveMs)),
        oursMs: median(oursMs),
        naiveMs: median(naiveMs),
        oursRunsMs: oursMs,
        oursPhases,
        naiveRunsMs: naiveMs,
        /** The untimed first run of each (ours on a worker that had served no run yet). */
        warmUp,
        ours: 'npm run client -- start --wait --input <dir> --cleanup always (worker already running)',
        naive:
          'node bench/naive-tutorial.ts (bundled to one JS file): the tutorial step by step, task.list every 1 s',
        emulatorDelays: "the emulator's defaults",
        target: P2_TARGET,
        met: median(oursMs) / median(naiveMs) <= P2_TARGET.ratioMax,
        /**
         * What no driver avoids: the tutorial's pool made ready (polled every 50 ms) plus ffmpeg
         * alone on the five inputs at once; `floorRatio` is that over the naive program's time.
         */
        floor: { ...floor, floorRatio: ratio(floor.floorMs, median(naiveMs)) },
        /** Mean CPU per run of each process (ms), ours and the naive program's. */
        cpuMsPerRun: { ours: cpu.ours.mean(sizes.runs), naive: cpu.naive.mean(sizes.runs) },
        /** Share of the machine other processes used during the runs (0-1). */
        othersCpu: meter.othersShare(),
      };
    } finally {
      await worker.stop();
      await stack.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export type P2Figures = Awaited<ReturnType<typeof benchNaive>>;
