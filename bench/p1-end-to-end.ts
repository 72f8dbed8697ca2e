// P1: N clips end to end through the workflow against the ideal (the same ffmpeg commands with
// xargs -P <slots> on this machine), each run several times taking turns, median over median.
// Target: ratio <= 1.25. Beside the headline (the workflow's default polling), two runs for the
// profile: the same workflow polling every 1 s at the least, and the floor (the same activities
// called directly, no Temporal, 50 ms polls). A small warm-up run goes first, as a long-lived
// worker has served runs before.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpuSplit, pinThisProcessTree, type CpuSplit } from './cpu-split';
import { measure, startBenchEnv, type BenchEnv, type Measured } from './harness';
import { runDirect } from './direct';
import { idealXargs } from './ideal';
import { makeClips } from './inputs';
import type { BenchSizes } from './options';
import {
  activityProfile,
  median,
  phaseBreakdown,
  pollProfile,
  ratio,
  round,
  stepBreakdown,
} from './phases';
import { expectSucceeded, runTranscode, type MeasuredRun } from './run';
import type { TranscodeInput } from '../src/transcode';

export const P1_TARGET = { ratioMax: 1.25 };
const WARM_UP_CLIPS = 4;
/** The polling the profile tries beside the defaults: the old floor of 1 s between polls. */
export const SLOW_POLLING: TranscodeInput['polling'] = { minIntervalSeconds: 1 };

const e2e = (r: MeasuredRun) => r.outputsVerifiedMs - r.startMs;

/** The clips, and where the tasks run: any CPU, or the nodes' CPUs apart from the stack's. */
interface Workload {
  dir: string;
  files: string[];
  split?: CpuSplit;
}

/** P1 measured with one placement: every run on the env's stack, the ideal on the same CPUs. */
async function endToEnd(
  env: BenchEnv,
  sizes: BenchSizes['p1'],
  { dir, files, split }: Workload,
  report: (s: string) => void,
) {
  const say = (line: string) =>
    report(split ? line.replace(/^P1: /, `P1 (tasks on CPU ${split.nodes}): `) : line);
  const slots = sizes.nodes * sizes.slotsPerNode;
  const idealOut = env.scratch('p1-ideal');
  const ideal = (n: number) => {
    say(`P1: ideal ${n} of ${sizes.runs} (xargs -P ${slots})`);
    return measure(env, () =>
      idealXargs(files, path.join(idealOut, String(n)), slots, split?.nodes),
    );
  };
  const workflow = (label: string, polling?: TranscodeInput['polling']) => {
    say(`P1: workflow (${label}), ${sizes.nodes} nodes x ${sizes.slotsPerNode} slot(s)`);
    return measure(env, async () => {
      const run = await runTranscode(
        env.client,
        env.config.temporal.taskQueue,
        'p1',
        {
          input: { localDir: dir },
          pool: {
            dedicatedNodes: sizes.nodes,
            lowPriorityNodes: 0,
            taskSlotsPerNode: sizes.slotsPerNode,
          },
          cleanup: { policy: 'always' },
          polling,
        },
        env.azure.storage,
      );
      expectSucceeded(run, files.length);
      return run;
    });
  };
  // A worker serves run after run: one small run first, so that the measured one is not the
  // first run of this worker and stack (its code not yet compiled by V8, its caches empty).
  const warmDir = env.scratch('p1-warm-up');
  for (const file of files.slice(0, WARM_UP_CLIPS)) {
    fs.copyFileSync(file, path.join(warmDir, path.basename(file)));
  }
  say(`P1: warm-up run (${WARM_UP_CLIPS} clips)`);
  const warmUp = await measure(env, async () => {
    const run = await runTranscode(
      env.client,
      env.config.temporal.taskQueue,
      'p1-warm-up',
      {
        input: { localDir: warmDir },
        pool: { dedicatedNodes: sizes.nodes, lowPriorityNodes: 0, taskSlotsPerNode: 1 },
        cleanup: { policy: 'always' },
      },
      env.azure.storage,
    );
    expectSucceeded(run, WARM_UP_CLIPS);
    return run;
  });
  // Pairs of the ideal and the run, taking turns at going first so that a drift of the machine
  // falls on both; each side's figure is its median.
  const ideals: Measured<number>[] = [];
  const mains: Measured<MeasuredRun>[] = [];
  for (let n = 1; n <= sizes.runs; n++) {
    if (n % 2 === 1) ideals.push(await ideal(n));
    mains.push(await workflow(`default polling, ${n} of ${sizes.runs}`));
    if (n % 2 === 0) ideals.push(await ideal(n));
  }
  const slow = await workflow('polling every 1 s at most', SLOW_POLLING);
  say('P1: the same activities called directly (no Temporal, 50 ms polls)');
  const direct = await measure(env, () =>
    runDirect(env.azure, {
      dir,
      pattern: '*.mp4',
      nodes: sizes.nodes,
      slotsPerNode: sizes.slotsPerNode,
      name: 'p1',
    }),
  );
  const idealMs = median(ideals.map((m) => m.value));
  // The run of the median time gives the profile.
  const medianE2eMs = median(mains.map((m) => e2e(m.value)));
  const main = mains.find((m) => e2e(m.value) === medianE2eMs)!;
  const run = main.value;
  return {
    clips: files.length,
    clipSeconds: sizes.clipSeconds,
    pool: `${sizes.nodes} nodes x ${sizes.slotsPerNode} slot(s)`,
    slots,
    ratio: ratio(e2e(run), idealMs),
    e2eMs: round(e2e(run)),
    e2eRunsMs: mains.map((m) => round(e2e(m.value))),
    measuredTo: 'verifyOutputs completed (every output stored and verified)',
    idealMs: round(idealMs),
    idealRunsMs: ideals.map((m) => round(m.value)),
    of: `the median of ${sizes.runs} runs over the median of ${sizes.runs} ideals, taking turns`,
    wholeRunMs: round(run.endMs - run.startMs),
    phases: phaseBreakdown(run),
    steps: stepBreakdown(run),
    polling: pollProfile(run),
    activities: activityProfile(run),
    historyEvents: run.history.totalEvents,
    /** The run before the measured ones (a fresh worker and stack): its time, not compared. */
    warmUp: { clips: WARM_UP_CLIPS, e2eMs: round(e2e(warmUp.value)) },
    target: P1_TARGET,
    met: e2e(run) / idealMs <= P1_TARGET.ratioMax,
    /** Share of the machine other processes used during each measurement (0-1). */
    othersCpu: {
      runs: mains.map((m) => m.othersCpu),
      idealRuns: ideals.map((m) => m.othersCpu),
      slowPolling: slow.othersCpu,
      direct: direct.othersCpu,
    },
    /** Share of the machine the hypervisor gave to other guests during each (0-1). */
    stealCpu: { runs: mains.map((m) => m.stealCpu), idealRuns: ideals.map((m) => m.stealCpu) },
    profile: {
      /** CPU each process used during the default run (ms); the emulator's children are ffmpeg. */
      cpuMs: main.cpuMs,
      idealCpuMs: ideals[0].cpuMs['bench + worker'],
      slowPolling: {
        input: SLOW_POLLING,
        ratio: ratio(e2e(slow.value), idealMs),
        e2eMs: round(e2e(slow.value)),
        phases: phaseBreakdown(slow.value),
        polling: pollProfile(slow.value),
        historyEvents: slow.value.history.totalEvents,
      },
      direct: {
        note: 'same activities, no Temporal, 50 ms polls: the floor on this stack',
        ratio: ratio(direct.value.verifiedMs, idealMs),
        e2eMs: direct.value.verifiedMs,
        stepsMs: direct.value.stepsMs,
      },
    },
  };
}

/**
 * P1 twice: with the tasks on any CPU (the stack's CPU then lands on the cores ffmpeg fills),
 * and with the tasks on CPUs of their own, apart from the stack's, as a node's tasks are on
 * Azure (bench/cpu-split.ts). The second is the headline where the machine can split; the first
 * is kept beside it as `sharedCores`.
 */
export async function benchEndToEnd(
  env: BenchEnv,
  sizes: BenchSizes['p1'],
  say: (s: string) => void,
) {
  const dir = env.scratch('p1-clips');
  say(`P1: making ${sizes.clips} clips of ${sizes.clipSeconds} s`);
  const files = await makeClips(dir, sizes.clips, sizes.clipSeconds);
  const shared = await endToEnd(env, sizes, { dir, files }, say);
  const sharedCores = {
    note: 'the tasks on any CPU, beside the stack',
    ratio: shared.ratio,
    e2eMs: shared.e2eMs,
    idealMs: shared.idealMs,
    directRatio: shared.profile.direct.ratio,
    cpuMs: shared.profile.cpuMs,
    othersCpu: shared.othersCpu,
    stealCpu: shared.stealCpu,
  };
  const split = cpuSplit();
  if (!split) {
    return {
      ...shared,
      apart: false,
      placement: 'the tasks on any CPU: one CPU, or no taskset',
      sharedCores,
    };
  }
  say(`P1: the tasks on CPU ${split.nodes}, the stack on CPU ${split.stack} (a stack of its own)`);
  // Nothing but the tasks on their CPUs: the bench's other stack (idle now) moves aside too, and
  // the files the runs above wrote are flushed now rather than during the measured runs.
  pinThisProcessTree(split.stack);
  spawnSync('sync');
  try {
    const own = await startBenchEnv({ nodeCpus: split.nodes });
    try {
      const apart = await endToEnd(own, sizes, { dir, files, split }, say);
      return {
        ...apart,
        apart: true,
        placement: `the tasks and the ideal on CPU ${split.nodes}; Temporal, Azurite, the emulator's service, the worker and the bench on CPU ${split.stack}`,
        sharedCores,
      };
    } finally {
      await own.stop();
    }
  } finally {
    pinThisProcessTree(split.all);
  }
}

export type P1Figures = Awaited<ReturnType<typeof benchEndToEnd>>;
