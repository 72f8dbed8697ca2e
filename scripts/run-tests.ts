// `npm test` (after bootstrap, typecheck, lint and format check): brings up one local stack on
// free ports for the whole run, runs every test file with Node's test runner against it, stops it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { startTestStack } from '../src/stack/stack';

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

async function run(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = testRoots()
    .flatMap((root) => findTestFiles(path.join(PROJECT_ROOT, root)))
    .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
  if (files.length === 0) {
    console.error(`No test files match ${filters.join(' ')}`);
    return 1;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-test-'));
  const started = Date.now();
  const stack = await startTestStack(dataDir);
  console.log(
    `Test stack up in ${Date.now() - started} ms: Temporal ${stack.temporal.address}, ` +
      `Azurite ${stack.azurite.blobUrl}, Batch ${stack.batch?.url ?? '(none)'}`,
  );
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        // One file at a time: files share the stack, and some read its statistics before and after.
        ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
        {
          cwd: PROJECT_ROOT,
          stdio: 'inherit',
          env: { ...process.env, ...stack.env, DURABLE_BATCH_TEST_STACK: '1' },
        },
      );
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await stack.stop();
    if (!process.env.KEEP_TEST_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
