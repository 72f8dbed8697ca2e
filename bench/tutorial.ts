// The tutorial's workload: five clips (its own LowPriVMs-4.mp4, 2:00, and four made here) on the
// tutorial's pool (five low-priority nodes, one slot each: the workflow's defaults), broken down
// by step, and the orchestration overhead left once ffmpeg's own time is taken away.
import fs from 'node:fs';
import path from 'node:path';
import { makeClip, tutorialClip } from '../src/demo/samples';
import { measure, type BenchEnv } from './harness';
import { runDirect } from './direct';
import { idealXargs } from './ideal';
import type { BenchSizes } from './options';
import { activityProfile, phaseBreakdown, pollProfile, round, stepBreakdown } from './phases';
import { expectSucceeded, runTranscode } from './run';

const NODES = 5; // the tutorial's _LOW_PRIORITY_POOL_NODE_COUNT, and the workflow's default

export async function benchTutorial(
  env: BenchEnv,
  sizes: BenchSizes['tutorial'],
  say: (s: string) => void,
) {
  const dir = env.scratch('tutorial');
  say('Tutorial: five clips');
  const clip = await tutorialClip(path.join(dir, 'LowPriVMs-4.mp4'));
  for (const i of [1, 2, 3, 5]) {
    await makeClip(path.join(dir, `LowPriVMs-${i}.mp4`), sizes.generatedClipSeconds, 220 * i);
  }
  const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
  const idealOut = env.scratch('tutorial-ideal');
  const ffmpeg = (n: number) => {
    say(`Tutorial: ffmpeg alone ${n} of 2 (xargs -P ${NODES})`);
    return measure(env, () => idealXargs(files, path.join(idealOut, String(n)), NODES));
  };
  const ffmpegBefore = await ffmpeg(1);
  say('Tutorial: workflow with its defaults');
  const measured = await measure(env, () =>
    runTranscode(
      env.client,
      env.config.temporal.taskQueue,
      'tutorial',
      { input: { localDir: dir }, cleanup: { policy: 'always' } },
      env.azure.storage,
    ),
  );
  const run = measured.value;
  expectSucceeded(run, files.length);
  say('Tutorial: the same activities called directly (no Temporal, 50 ms polls)');
  const direct = await runDirect(env.azure, {
    dir,
    pattern: '*.mp4',
    nodes: NODES,
    slotsPerNode: 1,
    name: 'tutorial',
  });
  const ffmpegAfter = await ffmpeg(2);
  // What ffmpeg itself needs on this machine: the faster (less disturbed) of the two.
  const ffmpegMs = Math.min(ffmpegBefore.value, ffmpegAfter.value);
  const totalMs = run.endMs - run.startMs;
  return {
    clips: files.length,
    inputs: `LowPriVMs-4.mp4 (${clip}) + 4 generated clips of ${sizes.generatedClipSeconds} s`,
    pool: `${NODES} low-priority nodes x 1 slot (defaults)`,
    totalMs: round(totalMs),
    ffmpegMs: round(ffmpegMs),
    overheadMs: round(totalMs - ffmpegMs),
    steps: stepBreakdown(run),
    phases: phaseBreakdown(run),
    polling: pollProfile(run),
    activities: activityProfile(run),
    historyEvents: run.history.totalEvents,
    /** CPU each process used during the run (ms); the emulator's children are ffmpeg. */
    cpuMs: measured.cpuMs,
    /** Start to outputs verified, as P1 measures (the total also holds the cleanup). */
    outputsVerifiedMs: round(run.outputsVerifiedMs - run.startMs),
    direct: {
      note: 'same activities, no Temporal, 50 ms polls: the floor on this stack (to outputs verified)',
      verifiedMs: direct.verifiedMs,
      stepsMs: direct.stepsMs,
    },
    /** Share of the machine other processes used during each measurement (0-1). */
    othersCpu: {
      run: measured.othersCpu,
      ffmpegRuns: [ffmpegBefore.othersCpu, ffmpegAfter.othersCpu],
    },
  };
}

export type TutorialFigures = Awaited<ReturnType<typeof benchTutorial>>;
