// `npm run bench` options and the sizes of each benchmark (full and --quick).

export type Section = 'p1' | 'p2' | 'p3' | 'p4' | 'p5' | 'tutorial';
export const SECTIONS: readonly Section[] = ['p1', 'p2', 'p3', 'p4', 'p5', 'tutorial'];

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** Sections to run (default all), e.g. `--only p3,p4` while profiling one of them. */
  only: Section[];
}

export interface BenchSizes {
  p1: { clips: number; clipSeconds: number; nodes: number; slotsPerNode: number; runs: number };
  /** Rounds of ours and the naive program, alternating; the figure is the median of each. */
  p2: { runs: number };
  p3: { tasks: number; nodes: number; slotsPerNode: number };
  p4: {
    files: number;
    fileBytes: number;
    concurrency: number;
    repeats: number;
    tinyFiles: number;
    /** The big file whose upload is cancelled halfway and resumed. */
    resumeFileBytes: number;
  };
  p5: { runs: number; filesPerRun: number; nodes: number; slotsPerNode: number };
  tutorial: { generatedClipSeconds: number };
}

export const USAGE =
  'usage: npm run bench -- [--quick] [--json] [--only p1,p2,p3,p4,p5,tutorial]\n' +
  '  --quick  the short version (a few minutes)\n' +
  '  --json   one JSON object on the last line of stdout instead of the table\n' +
  '  --only   run only these sections';

export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = { quick: false, json: false, only: [...SECTIONS] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      const wanted = (value ?? '').split(',').filter(Boolean);
      const unknown = wanted.filter((s) => !SECTIONS.includes(s as Section));
      if (wanted.length === 0 || unknown.length > 0) {
        throw new Error(
          `--only takes ${SECTIONS.join(', ')} (got ${value ?? 'nothing'})\n${USAGE}`,
        );
      }
      options.only = wanted as Section[];
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}

export function sizesFor(quick: boolean): BenchSizes {
  return {
    // 2 nodes x 1 slot on this 2-core machine; the ideal runs xargs -P 2.
    p1: { clips: quick ? 20 : 100, clipSeconds: 10, nodes: 2, slotsPerNode: 1, runs: 3 },
    p2: { runs: 5 },
    // Many slots so that one-process tasks finish quickly.
    p3: { tasks: quick ? 10_000 : 100_000, nodes: 4, slotsPerNode: 16 },
    p4: {
      // 100 in the quick run: with 50, a round took 0.3 s and 30 ms of noise moved the ratio 10 %.
      files: quick ? 100 : 200,
      fileBytes: 1024 * 1024,
      concurrency: 8,
      repeats: 5,
      tinyFiles: 500,
      resumeFileBytes: (quick ? 256 : 1024) * 1024 * 1024,
    },
    // One pool shared by every run; the quick run starts fewer runs at once (the report says so).
    p5: { runs: quick ? 10 : 100, filesPerRun: 10, nodes: 2, slotsPerNode: 16 },
    tutorial: { generatedClipSeconds: 30 },
  };
}
