// `npm test` (after bootstrap, typecheck, lint and format check): brings up a few local stacks
// on free ports ("lanes"), runs every test file with Node's test runner on a free lane — one
// file per lane at a time, since a file may read its stack's statistics before and after — and
// stops them. Most of a test's time is spent waiting on the stack, so lanes overlap the waits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { startTestStack, type LocalStack } from '../src/stack/stack';

/** Where the last run's per-file durations are kept, so the longest files start first. */
const DURATIONS_FILE = path.join(PROJECT_ROOT, 'test-artifacts', 'test-durations.json');

/** The project's tests, then each workspace package's (packages/NAME/test). */
function testRoots(): string[] {
  const packages = path.join(PROJECT_ROOT, 'packages');
  const names = fs.existsSync(packages)
    ? fs
        .readdirSync(packages, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => path.join('packages', entry.name, 'test'))
        .sort()
    : [];
  return ['test', ...names];
}

function findTestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findTestFiles(full);
      return entry.name.endsWith('.test.ts') ? [full] : [];
    })
    .sort();
}

function laneCount(files: number): number {
  const configured = Number(process.env.DURABLE_BATCH_TEST_LANES);
  const lanes = Number.isInteger(configured) && configured > 0 ? configured : 3;
  return Math.max(1, Math.min(lanes, files));
}

function readDurations(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(DURATIONS_FILE, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/** Longest first (last run's time; a file not timed yet counts by its size, bigger first). */
function longestFirst(files: string[], durations: Record<string, number>): string[] {
  const key = (file: string) => durations[path.relative(PROJECT_ROOT, file)];
  return [...files].sort((a, b) => {
    const [da, db] = [key(a), key(b)];
    if (da !== undefined && db !== undefined) return db - da;
    if (da === undefined && db === undefined) return fs.statSync(b).size - fs.statSync(a).size;
    return da === undefined ? -1 : 1; // untimed (new) files first: they may be long
  });
}

interface FileRun {
  file: string;
  code: number;
  ms: number;
  output: string;
  counts: Record<string, number>;
}

/**
 * One test file on one lane's stack; its output is kept and printed whole when it ends. Its
 * temporary files go to a folder of its own (TMPDIR), removed with the run's data.
 */
function runFile(file: string, stack: LocalStack, tmpDir: string): Promise<FileRun> {
  const started = Date.now();
  fs.mkdirSync(tmpDir, { recursive: true });
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', file],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...stack.env,
          DURABLE_BATCH_TEST_STACK: '1',
          FORCE_COLOR: '0',
          TMPDIR: tmpDir,
        },
      },
    );
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const counts: Record<string, number> = {};
      for (const match of output.matchAll(/^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
        counts[match[1]] = Number(match[2]);
      }
      resolve({ file, code: code ?? (signal ? 1 : 0), ms: Date.now() - started, output, counts });
    });
  });
}

async function run(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = testRoots()
    .flatMap((root) => findTestFiles(path.join(PROJECT_ROOT, root)))
    .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
  if (files.length === 0) {
    console.error(`No test files match ${filters.join(' ')}`);
    return 1;
  }
  const durations = readDurations();
  const queue = longestFirst(files, durations);
  const lanes = laneCount(files.length);
  const dataDirs = Array.from({ length: lanes }, () =>
    fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-test-')),
  );
  const filesTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-test-files-'));
  let fileIndex = 0;
  const started = Date.now();
  const stacks: LocalStack[] = [];
  const runs: FileRun[] = [];
  const runLane = async (stack: LocalStack) => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const result = await runFile(file, stack, path.join(filesTmp, String(fileIndex++)));
      runs.push(result);
      const name = path.relative(PROJECT_ROOT, file);
      const verdict = result.code === 0 ? 'ok' : 'FAILED';
      process.stdout.write(
        `\n── ${name} (${(result.ms / 1000).toFixed(1)} s, ${verdict})\n${result.output}`,
      );
    }
  };
  try {
    // Stacks start one after the other, each lane beginning as soon as its own is up: starting
    // them all at once on a busy machine can outlast a service's start timeout.
    const lanesDone: Promise<void>[] = [];
    for (const [index, dir] of dataDirs.entries()) {
      let stack: LocalStack;
      try {
        stack = await startTestStack(dir);
      } catch (err) {
        if (index === 0) throw err;
        console.log(`Lane ${index + 1} not started (the others take its files): ${String(err)}`);
        break;
      }
      stacks.push(stack);
      console.log(`Lane ${index + 1} up ${Date.now() - started} ms after the start`);
      lanesDone.push(runLane(stack));
    }
    await Promise.all(lanesDone);
    return summarize(runs, Date.now() - started, durations);
  } finally {
    await Promise.all(stacks.map((stack) => stack.stop()));
    if (!process.env.KEEP_TEST_DATA) {
      for (const dir of [...dataDirs, filesTmp]) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

function summarize(runs: FileRun[], wallMs: number, durations: Record<string, number>): number {
  const total = (key: string) => runs.reduce((sum, r) => sum + (r.counts[key] ?? 0), 0);
  const failed = runs.filter((r) => r.code !== 0);
  for (const r of runs) durations[path.relative(PROJECT_ROOT, r.file)] = r.ms;
  fs.mkdirSync(path.dirname(DURATIONS_FILE), { recursive: true });
  fs.writeFileSync(DURATIONS_FILE, JSON.stringify(durations, null, 2));
  const busyMs = runs.reduce((sum, r) => sum + r.ms, 0);
  console.log(
    `\nℹ files ${runs.length}\nℹ tests ${total('tests')}\nℹ pass ${total('pass')}\n` +
      `ℹ fail ${total('fail')}\nℹ cancelled ${total('cancelled')}\nℹ skipped ${total('skipped')}\n` +
      `ℹ todo ${total('todo')}\nℹ duration_ms ${wallMs} (files' own time ${busyMs} ms)`,
  );
  if (failed.length > 0) {
    console.log(
      `\nFailed files:\n${failed.map((r) => `  ${path.relative(PROJECT_ROOT, r.file)}`).join('\n')}`,
    );
    return 1;
  }
  // A file whose tests could not even be counted (a crash before the runner reported) fails too.
  return total('tests') > 0 ? 0 : 1;
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
