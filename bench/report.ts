// The benchmark's output: one summary object (the --json line) and the table a person reads.
// Every headline figure has one shape, `Figure`: its value (null when it was not measured), its
// target and whether it is met.
import type { BenchSizes, Section } from './options';
import type { P1Figures } from './p1-end-to-end';
import type { P2Figures } from './p2-naive';
import type { P3Figures } from './p3-scale';
import type { P4Figures } from './p4-upload';
import type { P5Figures } from './p5-many-runs';
import type { benchStartup } from './startup';
import type { TutorialFigures } from './tutorial';

/** How a value compares with its target; `reported` has no target, only a value. */
export type FigureOp = '<=' | '>=' | '=' | 'reported';

export interface Figure {
  /** null when it was not measured: never a stand-in value. */
  value: number | null;
  /** null for a figure that is only reported. */
  target: number | null;
  op: FigureOp;
  /** false whenever value is null. */
  met: boolean;
  unit?: string;
  /** Why there is no value, or what qualifies it (e.g. a quick run's smaller size). */
  note?: string;
}

export const NOT_MEASURED = 'not measured';

/** A value against its target; a missing or non-finite value is not measured, and not met. */
export function figure(
  value: number | null | undefined,
  op: FigureOp,
  target: number | null,
  extra: { unit?: string; note?: string } = {},
): Figure {
  const unit = extra.unit === undefined ? {} : { unit: extra.unit };
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { value: null, target, op, met: false, ...unit, note: extra.note ?? NOT_MEASURED };
  }
  let met: boolean;
  if (op === 'reported' || target === null) met = true;
  else if (op === '<=') met = value <= target;
  else if (op === '>=') met = value >= target;
  else met = value === target;
  return {
    value,
    target,
    op,
    met,
    ...unit,
    ...(extra.note === undefined ? {} : { note: extra.note }),
  };
}

/** "<= 0.8", ">= 100000 tasks", "reported". */
export function targetText(f: Figure): string {
  if (f.op === 'reported' || f.target === null) return 'reported';
  return `${f.op} ${f.target}${f.unit ? ` ${f.unit}` : ''}`;
}

/** "0.74", "207 MB", "null (not measured)". */
export function valueText(f: Figure): string {
  if (f.value === null) return `null (${f.note ?? NOT_MEASURED})`;
  return `${f.value}${f.unit ? ` ${f.unit}` : ''}`;
}

/** The figures `npm run bench -- --json` promises, with their targets. */
export type FigureKey =
  | 'p1.ratio'
  | 'p1.sharedCoresRatio'
  | 'p2.ratio'
  | 'p2.floorRatio'
  | 'p3.tasks'
  | 'p3.requestsPerPoll'
  | 'p3.historyEvents'
  | 'p3.largestPayloadBytes'
  | 'p3.workerPeakRssMb'
  | 'p3.emulatorPeakRssMb'
  | 'p3.submitTasksPerSecond'
  | 'p4.ratio'
  | 'p4.resentBytes'
  | 'p4.resumedResentFraction'
  | 'p5.runs'
  | 'p5.workerPeakRssMb';

export type SectionResults = Pick<Summary, 'quick' | 'p1' | 'p2' | 'p3' | 'p4' | 'p5'> &
  Partial<Pick<Summary, 'failed'>>;

/** Which size the resumed upload had (a summary without its details gives no note). */
function resumedUploadNote(p4: P4Figures | undefined): { note?: string } {
  const resumed = (p4 as Partial<P4Figures> | undefined)?.resumed;
  return resumed ? { note: `${resumed.fileBytes / 2 ** 20} MB file cancelled halfway` } : {};
}

/** Every headline figure against its target; a section that did not run gives nulls. */
export function figuresOf(s: SectionResults, sizes: BenchSizes): Record<FigureKey, Figure> {
  const skipped = (name: Section, ran: unknown) => {
    if (ran) return {};
    const failure = s.failed?.[name];
    return { note: failure === undefined ? 'section not run' : `section failed: ${failure}` };
  };
  const p3 = skipped('p3', s.p3);
  const p4 = skipped('p4', s.p4);
  const p5Note = s.p5
    ? s.quick
      ? { note: `quick run: ${sizes.p5.runs} runs at once (the full run starts 100)` }
      : {}
    : skipped('p5', s.p5);
  return {
    'p1.ratio': figure(s.p1?.ratio, '<=', 1.25, {
      ...skipped('p1', s.p1),
      ...(s.p1?.placement ? { note: s.p1.placement } : {}),
    }),
    'p1.sharedCoresRatio': figure(s.p1?.sharedCores?.ratio, 'reported', null, {
      ...skipped('p1', s.p1),
      ...(s.p1?.sharedCores ? { note: s.p1.sharedCores.note } : {}),
    }),
    'p2.ratio': figure(s.p2?.ratio, '<=', 0.8, skipped('p2', s.p2)),
    'p2.floorRatio': figure(s.p2?.floor?.floorRatio, 'reported', null, {
      ...skipped('p2', s.p2),
      ...(s.p2?.floor ? { note: 'pool ready + ffmpeg alone, over the naive program' } : {}),
    }),
    'p3.tasks': figure(s.p3?.tasks, '>=', sizes.p3.tasks, { unit: 'tasks', ...p3 }),
    'p3.requestsPerPoll': figure(s.p3?.requestsPerPoll, '<=', 1, p3),
    'p3.historyEvents': figure(s.p3?.historyEvents, '<=', 500, { unit: 'events', ...p3 }),
    'p3.largestPayloadBytes': figure(s.p3?.largestPayloadBytes, '<=', 256 * 1024, {
      unit: 'bytes',
      ...p3,
    }),
    'p3.workerPeakRssMb': figure(s.p3?.workerPeakRssMb, '<=', 300, { unit: 'MB', ...p3 }),
    'p3.emulatorPeakRssMb': figure(s.p3?.emulatorPeakRssMb, 'reported', null, {
      unit: 'MB',
      ...p3,
    }),
    'p3.submitTasksPerSecond': figure(s.p3?.submitTasksPerSecond, 'reported', null, {
      unit: 'tasks/s',
      ...p3,
    }),
    'p4.ratio': figure(s.p4?.ratio, '>=', 0.9, p4),
    'p4.resentBytes': figure(s.p4?.resentBytes, '=', 0, { unit: 'bytes', ...p4 }),
    'p4.resumedResentFraction': figure(s.p4?.resumedResentFraction, '<=', 0.1, {
      ...p4,
      ...resumedUploadNote(s.p4),
    }),
    'p5.runs': figure(s.p5?.completed, '>=', sizes.p5.runs, { unit: 'runs completed', ...p5Note }),
    'p5.workerPeakRssMb': figure(s.p5?.workerPeakRssMb, '<=', 500, { unit: 'MB', ...p5Note }),
  };
}

export interface Summary {
  quick: boolean;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; note: string };
  emulator: Record<string, string>;
  workerLog: string;
  /** Time to the client's first request, and the like (bench/startup.ts). */
  startup: ReturnType<typeof benchStartup>;
  p1?: P1Figures;
  p2?: P2Figures;
  p3?: P3Figures;
  p4?: P4Figures;
  p5?: P5Figures;
  tutorial?: TutorialFigures;
  /** Sections that failed, with the reason: their figures are null. */
  failed: Partial<Record<Section, string>>;
  /** The headline figures, each with its target and whether it is met. */
  figures: Record<FigureKey, Figure>;
  targets: Record<string, string>;
  met: Record<string, boolean>;
  allMet: boolean;
}

interface Row {
  key: string;
  figure: string;
  target: string;
  met?: boolean;
  /** Share of the machine other processes used meanwhile, e.g. "run 2 %, ideal 1 %/20 %". */
  others?: string;
}

function rows(s: Summary): Row[] {
  const out: Row[] = [];
  if (s.p2) {
    out.push({
      key: `P2 ours / naive tutorial program (${s.p2.inputs}, median of ${s.p2.runs})`,
      figure: `${s.p2.ratio} (${(s.p2.oursMs / 1000).toFixed(1)} s vs ${(s.p2.naiveMs / 1000).toFixed(1)} s)`,
      target: '<= 0.8',
      met: s.p2.met,
      others: `runs ${pct(s.p2.othersCpu)}`,
    });
    if (s.p2.floor) {
      const { poolReadyMs, ffmpegMs, floorRatio } = s.p2.floor;
      out.push({
        key: 'P2 floor: pool ready + ffmpeg alone (xargs -P 5), over the naive program',
        figure: `${floorRatio} (${(poolReadyMs / 1000).toFixed(1)} s + ${(ffmpegMs / 1000).toFixed(1)} s)`,
        target: '-',
      });
    }
  }
  if (s.p1) {
    out.push({
      key: `P1 end to end / ideal (${s.p1.clips} clips of ${s.p1.clipSeconds} s, ${s.p1.slots} slots)`,
      figure: `${s.p1.ratio} (${(s.p1.e2eMs / 1000).toFixed(1)} s vs ${(s.p1.idealMs / 1000).toFixed(1)} s)`,
      target: '<= 1.25',
      met: s.p1.met,
      others: p1Disturbance(s.p1),
    });
    const shared = s.p1.sharedCores;
    if (s.p1.apart && shared) {
      out.push({
        key: 'P1 with the tasks on any CPU, beside the stack (same clips)',
        figure: `${shared.ratio} (${(shared.e2eMs / 1000).toFixed(1)} s vs ${(shared.idealMs / 1000).toFixed(1)} s)`,
        target: '-',
        others: p1Disturbance(shared),
      });
    }
  }
  if (s.p3) {
    out.push(
      {
        key: `P3 submit ${s.p3.tasks} tasks (the addTasks activity, beside the upload)`,
        figure: `${(s.p3.submitMs / 1000).toFixed(2)} s`,
        target: '-',
        others: `run ${pct(s.p3.othersCpu)}`,
      },
      {
        key: 'P3 Batch requests per poll (taskcounts / polls)',
        figure: `${s.p3.requestsPerPoll} (${s.p3.taskCountRequests} / ${s.p3.polls})`,
        target: '1',
        met: s.p3.met.requestsPerPoll,
      },
      {
        key: 'P3 history events, largest run (chain total, runs)',
        figure: `${s.p3.historyEvents} (${s.p3.historyEventsTotal}, ${s.p3.historyRuns})`,
        target: '<= 500',
        met: s.p3.met.historyEvents,
      },
      {
        key: 'P3 largest payload in the chain (encoded)',
        figure: `${s.p3.largestPayloadBytes} bytes`,
        target: '<= 262144',
        met: s.p3.met.largestPayloadBytes,
      },
      {
        key: 'P3 worker peak RSS (child process, VmHWM)',
        figure: `${s.p3.workerPeakRssMb} MB`,
        target: '<= 300 MB',
        met: s.p3.met.workerPeakRssMb,
      },
      {
        key: 'P3 emulator peak RSS (sampled); submit rate',
        figure: `${s.p3.emulatorPeakRssMb} MB; ${s.p3.submitTasksPerSecond} tasks/s`,
        target: '-',
      },
    );
  }
  if (s.p4) {
    out.push(
      {
        key: `P4 upload ours / bare (${s.p4.files} x 1 MB, concurrency ${s.p4.concurrency})`,
        figure: `${s.p4.ratio} (${s.p4.oursMBps} vs ${s.p4.bareMBps} MB/s)`,
        target: '>= 0.9',
        met: s.p4.met.ratio,
        others: `rounds ${pct(s.p4.othersCpu)}`,
      },
      {
        key: 'P4 second run resends (MD5 skip)',
        figure: `${s.p4.resentBytes} bytes`,
        target: '0',
        met: s.p4.met.resentBytes,
      },
      {
        key: `P4 ${s.p4.resumed.fileBytes / 2 ** 20} MB file cancelled halfway, resumed: resent / size`,
        figure: `${s.p4.resumedResentFraction} (${s.p4.resumed.committedBlocks} blocks committed, ${s.p4.resumed.uncommittedBlocksLeft} left over)`,
        target: '<= 0.1',
        met: s.p4.met.resumedResentFraction,
      },
    );
  }
  if (s.p5) {
    out.push(
      {
        key: `P5 ${s.p5.runs} runs of ${s.p5.filesPerRun} files at once: completed; all / one run`,
        figure: `${s.p5.completed}; ${(s.p5.allRunsMs / 1000).toFixed(1)} s vs ${(s.p5.oneRunMs / 1000).toFixed(1)} s (${s.p5.allOverOne})`,
        target: `${s.p5.runs}`,
        met: s.p5.met.allCompleted,
        others: `runs ${pct(s.p5.othersCpu)}`,
      },
      {
        key: 'P5 worker peak RSS (child process, VmHWM)',
        figure: `${s.p5.workerPeakRssMb} MB`,
        target: '<= 500 MB',
        met: s.p5.met.workerPeakRssMb,
      },
    );
  }
  if (s.tutorial) {
    out.push({
      key: 'Tutorial: total, ffmpeg alone, overhead',
      figure: `${(s.tutorial.totalMs / 1000).toFixed(1)} s, ${(s.tutorial.ffmpegMs / 1000).toFixed(1)} s, ${(s.tutorial.overheadMs / 1000).toFixed(1)} s`,
      target: '-',
      others: `run ${pct(s.tutorial.othersCpu.run)}, ffmpeg ${s.tutorial.othersCpu.ffmpegRuns.map(pct).join(' / ')}`,
    });
  }
  return out;
}

const pct = (share: number) => `${Math.round(share * 100)} %`;

/** Other processes' and the hypervisor's shares during P1's runs and ideals. */
function p1Disturbance(p1: {
  othersCpu: { runs: number[]; idealRuns: number[] };
  stealCpu: { runs: number[]; idealRuns: number[] };
}): string {
  const shares = (xs: number[]) => xs.map(pct).join(' / ');
  return (
    `runs ${shares(p1.othersCpu.runs)}, ideals ${shares(p1.othersCpu.idealRuns)}; ` +
    `steal: runs ${shares(p1.stealCpu.runs)}, ideals ${shares(p1.stealCpu.idealRuns)}`
  );
}

function table(headers: string[], body: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const ms = (value: number | undefined) =>
  value === undefined ? '-' : `${(value / 1000).toFixed(2)} s`;

/** The figures against their targets, then the details, then where each run's time went. */
export function renderTable(s: Summary): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['figure', 'value', 'target', 'met'],
      Object.entries(s.figures).map(([key, f]) => [
        key,
        valueText(f) + (f.value !== null && f.note ? ` (${f.note})` : ''),
        targetText(f),
        f.met ? 'yes' : 'NO',
      ]),
    ),
  );
  parts.push(
    table(
      ['benchmark', 'figure', 'target', 'met', "others' CPU meanwhile"],
      rows(s).map((r) => [
        r.key,
        r.figure,
        r.target,
        r.met === undefined ? '' : r.met ? 'yes' : 'NO',
        r.others ?? '',
      ]),
    ),
  );
  const phaseRuns: Array<[string, Record<string, number> | undefined]> = [
    ['P1', s.p1?.phases],
    ['P3', s.p3?.phases],
    ['Tutorial', s.tutorial?.phases],
  ];
  const present = phaseRuns.filter(([, p]) => p);
  if (present.length > 0) {
    const phaseNames = [...new Set(present.flatMap(([, p]) => Object.keys(p ?? {})))];
    parts.push(
      'Time per workflow phase:\n' +
        table(
          ['phase', ...present.map(([name]) => name)],
          phaseNames.map((phase) => [phase, ...present.map(([, p]) => ms(p?.[phase]))]),
        ),
    );
  }
  if (s.tutorial) {
    const t = s.tutorial.steps;
    parts.push(
      `Tutorial steps: upload ${ms(t.uploadMs)}, pool ready ${ms(t.poolReadyMs)} (in parallel: ` +
        `${ms(t.uploadOrPoolMs)}), add tasks ${ms(t.addTasksMs)}, run tasks ${ms(t.runTasksMs)}, ` +
        `collect ${ms(t.collectMs)}, cleanup ${ms(t.cleanupMs)}; total ${ms(s.tutorial.totalMs)}, ` +
        `ffmpeg alone ${ms(s.tutorial.ffmpegMs)}, overhead ${ms(s.tutorial.overheadMs)}.`,
    );
  }
  const profile = profileLines(s);
  if (profile.length > 0) parts.push(`Profile:\n${profile.map((l) => `- ${l}`).join('\n')}`);
  const failures = Object.entries(s.failed);
  if (failures.length > 0) {
    parts.push(`Sections that FAILED:\n${failures.map(([k, m]) => `- ${k}: ${m}`).join('\n')}`);
  }
  parts.push(
    `${s.quick ? 'Quick' : 'Full'} run in ${(s.durationMs / 1000).toFixed(0)} s on ${s.machine.cpus} ` +
      `cores; ${s.allMet ? 'every target met' : 'some targets NOT met'}. Worker log: ${s.workerLog}`,
  );
  return parts.join('\n\n');
}

const cpuLine = (cpu: Record<string, { selfMs: number; childrenMs: number }>) =>
  Object.entries(cpu)
    .map(
      ([name, c]) =>
        `${name} ${ms(c.selfMs)}${c.childrenMs ? ` (+ ${ms(c.childrenMs)} in its children)` : ''}`,
    )
    .join(', ');

/** The evidence behind the proposed changes, one line each. */
function profileLines(s: Summary): string[] {
  const lines: string[] = [];
  if (s.p1) {
    const { slowPolling, direct } = s.p1.profile;
    lines.push(
      `P1 ratio ${s.p1.ratio} with the default polling (pool wait ${ms(s.p1.phases['waiting-for-pool'])}, ` +
        `running ${ms(s.p1.phases.running)}); ${slowPolling.ratio} with at least 1 s between polls ` +
        `(pool wait ${ms(slowPolling.phases['waiting-for-pool'])}, running ${ms(slowPolling.phases.running)}); ` +
        `${direct.ratio} for the same activities without Temporal (running ${ms(direct.stepsMs.runTasks)}).`,
    );
  }
  if (s.p1) lines.push(`P1 CPU during the default run: ${cpuLine(s.p1.profile.cpuMs)}.`);
  if (s.p2) {
    const perRun = (cpu: Record<string, number>) =>
      Object.entries(cpu)
        .map(([name, cpuMs]) => `${name} ${ms(cpuMs)}`)
        .join(', ');
    lines.push(
      `P2 CPU per run, ours: ${perRun(s.p2.cpuMsPerRun.ours)}; the naive program's: ${perRun(s.p2.cpuMsPerRun.naive)}.`,
    );
  }
  if (s.p3) {
    const p = s.p3.polling;
    lines.push(
      `P3 polls: ${p.polls}${p.watches ? ` in ${p.watches} task watch(es)` : ''} at ${p.eventsPerPoll} history events each, every ${ms(p.meanGapMs)} on average` +
        (p.simulated.length ? '; replayed on the same completion curve: ' : '') +
        p.simulated
          .map(
            (o) =>
              `${o.policy}: ${o.polls} polls, seen ${ms(o.detectionLagMs)} after the last task`,
          )
          .join('; ') +
        '.',
    );
    const payloads = Object.entries(s.p3.profile.payloadBytes).slice(0, 6);
    lines.push(
      `P3 history ${Math.round(s.p3.historyBytesTotal / 1024)} KB; largest payloads: ` +
        payloads.map(([k, v]) => `${k} ${Math.round(v / 1024)} KB`).join(', ') +
        '.',
    );
    const mem = s.p3.profile.workerMemoryAtRest;
    lines.push(
      `P3 worker (${mem.command}) at rest: ${mem.atRestMb.worker} MB; node alone ${mem.atRestMb.node} MB, ` +
        `with its flags and loader ${mem.atRestMb.withFlagsAndLoader} MB, with its modules ` +
        `${mem.atRestMb.withModules} MB; this run added ` +
        `${s.p3.workerRss.peakSampledDuringRunMb - s.p3.workerRss.idleBeforeRunMb} MB. Workflow ` +
        `bundle ${Math.round(mem.bundleBytes / 1024)} KB, built in ${ms(mem.bundleBuildMs)} when the code changes.`,
    );
    const cpu = s.p3.profile.cpuMs;
    lines.push(
      `P3 CPU during the run: ${cpuLine(cpu)}; Azurite's blob index peaked at ${Math.round(s.p3.profile.azuriteIndexPeakBytes / 1024)} KB.`,
    );
    const alone = s.p3.profile.submitWithNothingRunning;
    lines.push(
      `P3 submit with nothing running beside it (pool without nodes): ${ms(alone.ms)} ` +
        `(activity CPU ${ms(alone.activityCpuMs)}, emulator CPU ${ms(alone.emulatorCpuMs)}), against ` +
        `${ms(s.p3.submitMs)} in the run (beside the upload, each task once its input is stored).`,
    );
    lines.push(
      `P3 throughput: upload ${s.p3.profile.uploadFilesPerSecond} files/s, tasks ${s.p3.profile.tasksPerSecond}/s from the upload's start to the last task's end ` +
        `(${s.p3.pool}), submit ${s.p3.addCollectionRequests} addtaskcollection requests in ${ms(s.p3.submitMs)}.`,
    );
  }
  if (s.p4) {
    const { tinyFiles } = s.p4.profile;
    lines.push(
      `P4 with ${tinyFiles.files} tiny files (requests, not bytes): bare ${tinyFiles.filesPerSecond.bare}/s, ` +
        `ours ${tinyFiles.filesPerSecond.ours}/s (${tinyFiles.ratio}); second run of ours with 1 MB ` +
        `files: ${s.p4.secondRun.skipped} skipped in ${ms(s.p4.secondRun.ms)}.`,
    );
  }
  if (s.tutorial) {
    lines.push(
      `Tutorial to outputs verified: ${ms(s.tutorial.outputsVerifiedMs)} with the workflow, ` +
        `${ms(s.tutorial.direct.verifiedMs)} for the same activities without Temporal; CPU: ` +
        `${cpuLine(s.tutorial.cpuMs)}.`,
    );
  }
  return lines;
}

/** The figures, and their targets and met flags flattened for the summary. */
export function targetsOf(s: SectionResults, sizes: BenchSizes) {
  const figures = figuresOf(s, sizes);
  const entries = Object.entries(figures);
  return {
    figures,
    targets: Object.fromEntries(entries.map(([key, f]) => [key, targetText(f)])),
    met: Object.fromEntries(entries.map(([key, f]) => [key, f.met])),
    allMet: entries.every(([, f]) => f.met),
  };
}
