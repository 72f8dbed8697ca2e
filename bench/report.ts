// The benchmark's output: one summary object (the --json line) and the table a person reads.
import type { P1Figures } from './p1-end-to-end';
import type { P3Figures } from './p3-scale';
import type { P4Figures } from './p4-upload';
import type { TutorialFigures } from './tutorial';

export interface Summary {
  quick: boolean;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; note: string };
  emulator: Record<string, string>;
  workerLog: string;
  p1?: P1Figures;
  p3?: P3Figures;
  p4?: P4Figures;
  tutorial?: TutorialFigures;
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
  if (s.p1) {
    out.push({
      key: `P1 end to end / ideal (${s.p1.clips} clips of ${s.p1.clipSeconds} s, ${s.p1.slots} slots)`,
      figure: `${s.p1.ratio} (${(s.p1.e2eMs / 1000).toFixed(1)} s vs ${(s.p1.idealMs / 1000).toFixed(1)} s)`,
      target: '<= 1.25',
      met: s.p1.met,
      others: `run ${pct(s.p1.othersCpu.run)}, ideal ${s.p1.othersCpu.idealRuns.map(pct).join(' / ')}`,
    });
  }
  if (s.p3) {
    out.push(
      {
        key: `P3 submit ${s.p3.tasks} tasks (adding-tasks phase)`,
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
        key: 'P3 worker peak RSS (child process, VmHWM)',
        figure: `${s.p3.workerPeakRssMb} MB`,
        target: '<= 300 MB',
        met: s.p3.met.workerPeakRssMb,
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

function table(headers: string[], body: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const ms = (value: number | undefined) =>
  value === undefined ? '-' : `${(value / 1000).toFixed(2)} s`;

/** The figures against their targets, then where each run's time went. */
export function renderTable(s: Summary): string {
  const parts: string[] = [];
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
  if (s.p3) {
    const p = s.p3.polling;
    lines.push(
      `P3 polls: ${p.polls} at ${p.eventsPerPoll} history events each, every ${ms(p.meanGapMs)} on average; ` +
        'replayed on the same completion curve: ' +
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
        `${ms(s.p3.submitMs)} in the run.`,
    );
    lines.push(
      `P3 throughput: upload ${s.p3.profile.uploadFilesPerSecond} files/s, tasks ${s.p3.profile.tasksPerSecond}/s over adding + running ` +
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

/** Targets and whether each is met, flattened for the summary. */
export function targetsOf(s: Omit<Summary, 'targets' | 'met' | 'allMet'>) {
  const targets: Record<string, string> = {};
  const met: Record<string, boolean> = {};
  if (s.p1) {
    targets['p1.ratio'] = '<= 1.25';
    met['p1.ratio'] = s.p1.met;
  }
  if (s.p3) {
    targets['p3.requestsPerPoll'] = '<= 1';
    targets['p3.historyEvents'] = '<= 500';
    targets['p3.workerPeakRssMb'] = '<= 300';
    met['p3.requestsPerPoll'] = s.p3.met.requestsPerPoll;
    met['p3.historyEvents'] = s.p3.met.historyEvents;
    met['p3.workerPeakRssMb'] = s.p3.met.workerPeakRssMb;
  }
  if (s.p4) {
    targets['p4.ratio'] = '>= 0.9';
    targets['p4.resentBytes'] = '= 0';
    met['p4.ratio'] = s.p4.met.ratio;
    met['p4.resentBytes'] = s.p4.met.resentBytes;
  }
  return { targets, met, allMet: Object.values(met).every(Boolean) };
}
