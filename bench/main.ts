// `npm run bench [-- --quick] [-- --json]`: brings up a private local stack and a worker, runs
// the benchmarks (P1 end to end against xargs, P3 10,000 tasks in one job, P4 upload
// throughput, the tutorial's workload by step) and prints their figures against the targets.
// Progress goes to stderr; with --json the last line of stdout is one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import { EMULATOR_ENV, startBenchEnv, type BenchEnv } from './harness';
import { parseArgs, sizesFor, type BenchOptions } from './options';
import { benchEndToEnd } from './p1-end-to-end';
import { benchScaleWithProfile } from './p3-scale';
import { benchUpload } from './p4-upload';
import { benchTutorial } from './tutorial';
import { renderTable, targetsOf, type Summary } from './report';

async function runBenchmarks(env: BenchEnv, options: BenchOptions, startedMs: number) {
  const sizes = sizesFor(options.quick);
  const started = Date.now();
  const say = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`);
  const want = (section: BenchOptions['only'][number]) => options.only.includes(section);
  const base = {
    quick: options.quick,
    startedAt: new Date(startedMs).toISOString(),
    durationMs: 0,
    machine: {
      cpus: os.cpus().length,
      note: 'shared machine: othersCpu is the share of all cores other processes used during each measurement',
    },
    emulator: { ...EMULATOR_ENV },
    workerLog: env.logFile,
    // P3 last: its 10,000 tasks and blobs leave the stack busier than they found it.
    p1: want('p1') ? await benchEndToEnd(env, sizes.p1, say) : undefined,
    p4: want('p4') ? await benchUpload(env, sizes.p4, say) : undefined,
    tutorial: want('tutorial') ? await benchTutorial(env, sizes.tutorial, say) : undefined,
    p3: want('p3') ? await benchScaleWithProfile(env, sizes.p3, say) : undefined,
  };
  base.durationMs = Date.now() - startedMs;
  return { ...base, ...targetsOf(base) } satisfies Summary;
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
