// Turns the fault suite's measured outcomes (test-artifacts/fault-suite/*.jsonl, written by
// `npm test`) into the README's table. `--write` replaces the table between its markers.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import type { Outcome } from '../test/helpers/fault-harness';

const DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'fault-suite');
const ORDER = [
  'worker-kills',
  'manifest-kill',
  'services',
  'npm-start-resume',
  'bad-input',
  'bad-messages',
  'failure-policy',
];
const START = '<!-- fault-table:start -->';
const END = '<!-- fault-table:end -->';

function rows(): Outcome[] {
  return ORDER.flatMap((file) => {
    const full = path.join(DIR, `${file}.jsonl`);
    if (!fs.existsSync(full)) return [];
    return fs
      .readFileSync(full, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Outcome);
  });
}

function table(outcomes: Outcome[]): string {
  // The test runner gives each file a temporary folder of its own: the table shows where it is.
  const tidy = (text: string) => text.replace(/\/durable-batch-test-files-[^/]+\/\d+\//g, '/');
  const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  // Long messages are cut: the table is read in a README, the full text is in the test output.
  const cut = (text: string) => (text.length > 110 ? `${text.slice(0, 107)}…` : text);
  const lines = [
    '| scenario | runs completed | pools / jobs / tasks created | outputs | duplicates | pools / jobs leaked | outcome |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...outcomes.map(
      (o) =>
        `| ${escape(o.scenario)} | ${o.runsCompleted} | ${o.pools} / ${o.jobs} / ${o.tasks} | ${o.outputs} | ` +
        `${o.duplicates} | ${o.leakedPools} / ${o.leakedJobs} | ${escape(cut(tidy(o.note ?? 'completed, each resource once')))} |`,
    ),
  ];
  const totals = outcomes.reduce(
    (t, o) => ({
      runs: t.runs + o.runsCompleted,
      duplicates: t.duplicates + o.duplicates,
      leaks: t.leaks + o.leakedPools,
    }),
    { runs: 0, duplicates: 0, leaks: 0 },
  );
  lines.push(
    '',
    `${outcomes.length} scenarios, ${totals.runs} runs completed, ${totals.duplicates} duplicates found, ` +
      `${totals.leaks} pools leaked.`,
  );
  return lines.join('\n');
}

const outcomes = rows();
if (outcomes.length === 0) {
  console.error(`No outcomes in ${DIR}: run \`npm test -- test/faults\` first.`);
  process.exit(1);
}
const markdown = table(outcomes);
if (process.argv.includes('--write')) {
  const readmePath = path.join(PROJECT_ROOT, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${START} … ${END} markers`);
  fs.writeFileSync(
    readmePath,
    `${readme.slice(0, start + START.length)}\n${markdown}\n${readme.slice(end)}`,
  );
  console.log(`README.md: table of ${outcomes.length} scenarios written.`);
} else {
  console.log(markdown);
}
