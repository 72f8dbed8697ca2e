// P1: N clips end to end through the workflow against the ideal (the same ffmpeg commands with
// xargs -P <slots> on this machine). Target: ratio <= 1.25. Beside the headline (the workflow's
// default polling), two runs for the profile: the same workflow polling every 0.25 s at the
// least, and the floor (the same activities called directly, no Temporal, 50 ms polls).
import path from 'node:path';
import type { BenchEnv } from './harness';
import { runDirect } from './direct';
import { idealXargs } from './ideal';
import { makeClips } from './inputs';
import { sampleLoad, type LoadSample } from './load';
import type { BenchSizes } from './options';
import { activityProfile, phaseBreakdown, pollProfile, round, stepBreakdown } from './phases';
import { expectSucceeded, runTranscode, type MeasuredRun } from './run';
import type { TranscodeInput } from '../workflows/transcode/input';

export const P1_TARGET = { ratioMax: 1.25 };
/** The polling the profile tries beside the defaults (min 1 s, max 15 s). */
export const FAST_POLLING: TranscodeInput['polling'] = { minIntervalSeconds: 0.25 };

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

export async function benchEndToEnd(
  env: BenchEnv,
  sizes: BenchSizes['p1'],
  say: (s: string) => void,
) {
  const slots = sizes.nodes * sizes.slotsPerNode;
  const dir = env.scratch('p1-clips');
  say(`P1: making ${sizes.clips} clips of ${sizes.clipSeconds} s`);
  const files = await makeClips(dir, sizes.clips, sizes.clipSeconds);
  const load: LoadSample = await sampleLoad();
  const idealOut = env.scratch('p1-ideal');
  say(`P1: ideal (xargs -P ${slots})`);
  const idealBefore = await idealXargs(files, idealOut, slots);
  const workflow = async (label: string, polling?: TranscodeInput['polling']) => {
    say(`P1: workflow (${label}), ${sizes.nodes} nodes x ${sizes.slotsPerNode} slot(s)`);
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
  };
  const run = await workflow('default polling');
  const fast = await workflow('polling every 0.25 s at least', FAST_POLLING);
  say('P1: the same activities called directly (no Temporal, 50 ms polls)');
  const direct = await runDirect(env.azure, {
    dir,
    pattern: '*.mp4',
    nodes: sizes.nodes,
    slotsPerNode: sizes.slotsPerNode,
    name: 'p1',
  });
  say('P1: ideal again');
  const idealAfter = await idealXargs(files, path.join(idealOut, 'again'), slots);
  const idealMs = (idealBefore + idealAfter) / 2;
  const e2e = (r: MeasuredRun) => r.outputsVerifiedMs - r.startMs;
  return {
    clips: files.length,
    clipSeconds: sizes.clipSeconds,
    pool: `${sizes.nodes} nodes x ${sizes.slotsPerNode} slot(s)`,
    slots,
    ratio: ratio(e2e(run), idealMs),
    e2eMs: round(e2e(run)),
    measuredTo: 'verifyOutputs completed (every output stored and verified)',
    idealMs: round(idealMs),
    idealRunsMs: [round(idealBefore), round(idealAfter)],
    wholeRunMs: round(run.endMs - run.startMs),
    phases: phaseBreakdown(run),
    steps: stepBreakdown(run),
    polling: pollProfile(run),
    activities: activityProfile(run),
    historyEvents: run.history.totalEvents,
    target: P1_TARGET,
    met: e2e(run) / idealMs <= P1_TARGET.ratioMax,
    load,
    profile: {
      fastPolling: {
        input: FAST_POLLING,
        ratio: ratio(e2e(fast), idealMs),
        e2eMs: round(e2e(fast)),
        phases: phaseBreakdown(fast),
        polling: pollProfile(fast),
        historyEvents: fast.history.totalEvents,
      },
      direct: {
        note: 'same activities, no Temporal, 50 ms polls: the floor on this stack',
        ratio: ratio(direct.verifiedMs, idealMs),
        e2eMs: direct.verifiedMs,
        stepsMs: direct.stepsMs,
      },
    },
  };
}

export type P1Figures = Awaited<ReturnType<typeof benchEndToEnd>>;
