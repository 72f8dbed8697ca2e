// `npm run bench [-- --quick] [-- --json]`: brings up a private local stack and a worker, runs
// the benchmarks (P1 end to end against xargs, P2 the user's command against a naive tutorial
// program, P3 100,000 tasks in one job, P4 upload throughput, P5 many runs at once on one worker,
// the tutorial's workload by step) and prints their figures against the targets.
// Progress goes to stderr; with --json the last line of stdout is one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import { EMULATOR_ENV, startBenchEnv, type BenchEnv } from './harness';
import { parseArgs, sizesFor, type BenchOptions, type Section } from './options';
import { benchEndToEnd } from './p1-end-to-end';
import { benchNaive } from './p2-naive';
import { benchScaleWithProfile } from './p3-scale';
import { benchStartup } from './startup';
import { benchUpload } from './p4-upload';
import { benchManyRuns } from './p5-many-runs';
import { benchTutorial } from './tutorial';
import { renderTable, targetsOf, type Summary } from './report';

async function runBenchmarks(env: BenchEnv, options: BenchOptions, startedMs: number) {
  const sizes = sizesFor(options.quick);
  const started = Date.now();
  const say = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`);
  const failed: Partial<Record<Section, string>> = {};
  const base: Omit<Summary, keyof ReturnType<typeof targetsOf>> = {
    quick: options.quick,
    startedAt: new Date(startedMs).toISOString(),
    durationMs: 0,
    machine: {
      cpus: os.cpus().length,
      note: 'shared machine: othersCpu is the share of all cores other processes used during each measurement, stealCpu (where given) the share the hypervisor gave to other guests',
    },
    emulator: { ...EMULATOR_ENV },
    workerLog: env.logFile,
    startup: benchStartup(env),
    failed,
  };
  const summary = () => {
    base.durationMs = Date.now() - startedMs;
    return { ...base, ...targetsOf(base, sizes) } satisfies Summary;
  };
  // A long run stopped halfway keeps the sections it finished (beside the worker's log).
  const progressFile = env.logFile.replace(/\.log$/, '.json');
  say(`each section's figures are saved in ${progressFile} as it ends`);
  /**
   * Runs a wanted section and saves the summary so far; one that fails is reported (its figures
   * null, the reason in `failed`) and the others still run: one broken section must not hide
   * every other figure.
   */
  const section = async <K extends Section>(name: K, run: () => Promise<Summary[K]>) => {
    if (!options.only.includes(name)) return;
    try {
      base[name] = await run();
    } catch (err) {
      failed[name] = err instanceof Error ? err.message : String(err);
      say(`${name.toUpperCase()} FAILED: ${failed[name]}`);
    }
    fs.writeFileSync(progressFile, `${JSON.stringify(summary())}\n`);
  };
  // P3 last: its tasks and blobs leave the stack busier than they found it. P2 brings up a
  // stack of its own (the emulator's default delays) and stops it before the next section.
  await section('p1', () => benchEndToEnd(env, sizes.p1, say));
  await section('p4', () => benchUpload(env, sizes.p4, say));
  await section('tutorial', () => benchTutorial(env, sizes.tutorial, say));
  await section('p2', () => benchNaive(sizes.p2, say));
  await section('p5', () => benchManyRuns(env, sizes.p5, say));
  await section('p3', () => benchScaleWithProfile(env, sizes.p3, say));
  return summary();
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const startedMs = Date.now();
  process.stderr.write('[bench] starting a private local stack and a worker\n');
  const env = await startBenchEnv();
  const stop = () => {
    process.stderr.write('[bench] interrupted: stopping the stack\n');
    void env.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let summary: Summary;
  try {
    summary = await runBenchmarks(env, options, startedMs);
  } finally {
    await env.stop();
  }
  summary.durationMs = Date.now() - startedMs;
  // A log without a single warning is not worth keeping.
  if (fs.existsSync(env.logFile) && fs.statSync(env.logFile).size === 0) {
    fs.rmSync(env.logFile);
    summary.workerLog = '(no warnings)';
  }
  if (options.json) {
    // The table still goes to stderr, for whoever watches; stdout ends with the one JSON line.
    process.stderr.write(`${renderTable(summary)}\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else process.stdout.write(`${renderTable(summary)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
