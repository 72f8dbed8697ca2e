// The workflow code bundled with webpack once per version of its sources, cached on disk, so the
// worker loads a ready bundle (`workflowBundle: { codePath }`) instead of running webpack at every
// start: webpack left about 120 MB in the worker's heap for good. On a cache miss the bundle is
// built by this file run as a script in a short-lived child process, so that memory is never the
// worker's. `node dist/src/workflow-bundle.js <out.js>` builds one by hand.
//
// The bundle is always made from the TypeScript sources in src/ (the SDK's webpack compiles them),
// whether this runs from src/ under tsx (the tests' in-process workers) or from its build in
// dist/ (`npm run worker`): both find the same bundle in the cache.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { PROJECT_ROOT } from './config';

const SRC_DIR = path.join(PROJECT_ROOT, 'src');
const WORKFLOWS_DIR = path.join(SRC_DIR, 'workflows');
/** The workflow code's own sources: the workflows and the model they import. */
const SOURCE_DIRS = [WORKFLOWS_DIR, path.join(SRC_DIR, 'transcode')];
/** This file's source, which holds the bundler's options (from dist/, __filename is its build). */
const BUNDLER_SOURCE = path.join(SRC_DIR, 'workflow-bundle.ts');
export const BUNDLE_CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'durable-batch');
/** Bundles kept in the cache (newest first): enough for a few branches or edits in flight. */
const KEEP = 5;

/** Every file webpack read for a bundle, and one hash of their contents. */
interface Inputs {
  files: string[];
  hash: string;
}

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type WebpackPlugin = NonNullable<WebpackConfig['plugins']>[number];

function versionOf(pkg: string): string {
  const manifest = fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/** A hash of the files' names and contents; undefined when one of them is gone. */
function hashFiles(files: readonly string[]): string | undefined {
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    const content = readIfPresent(file);
    if (content === undefined) return undefined;
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The cache key: the workflow sources and the model's, the SDK that is bundled with them and
 * bundles them, and this file (the bundler's options). It names the file; the inputs recorded beside it are checked
 * too, which covers what else the bundle holds (@temporalio/common, nexus-rpc, any other file
 * the workflows might import one day).
 */
function cacheKey(): string {
  const hash = crypto.createHash('sha256');
  for (const pkg of ['@temporalio/workflow', '@temporalio/worker']) {
    hash.update(`${pkg}@${versionOf(pkg)}\n`);
  }
  const sources = SOURCE_DIRS.flatMap((dir) =>
    fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => path.join(dir, name)),
  ).sort();
  // Directories and files gone since the listing (an editor's temporary files) read as nothing.
  for (const file of [BUNDLER_SOURCE, ...sources]) {
    const content = fs.statSync(file, { throwIfNoEntry: false })?.isFile()
      ? readIfPresent(file)
      : undefined;
    hash.update(`${file}\0${content?.length ?? -1}\0`).update(content ?? '');
  }
  return hash.digest('hex').slice(0, 16);
}

const inputsPathOf = (codePath: string) => codePath.replace(/\.js$/, '.inputs.json');

function isFresh(codePath: string): boolean {
  try {
    const inputs = JSON.parse(fs.readFileSync(inputsPathOf(codePath), 'utf8')) as Inputs;
    return fs.existsSync(codePath) && hashFiles(inputs.files) === inputs.hash;
  } catch {
    return false;
  }
}

/**
 * The path of the workflow bundle for the current sources, built first (in a child process, a
 * few seconds) when the cache has none.
 */
export async function workflowBundlePath(): Promise<string> {
  const codePath = path.join(BUNDLE_CACHE_DIR, `workflow-bundle-${cacheKey()}.js`);
  if (!isFresh(codePath)) await bundleInChildProcess(codePath);
  return codePath;
}

/** Builds the bundle at `codePath` in a child process (this file as a script). */
export function bundleInChildProcess(codePath: string): Promise<void> {
  const loader = __filename.endsWith('.ts') ? ['--require', 'tsx/cjs'] : [];
  const child = spawn(process.execPath, [...loader, __filename, codePath], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`bundling the workflow code failed (${signal ?? code}):\n${stderr}`));
    });
  });
}

/** Concurrent workers may build the same bundle: each writes a file of its own, then renames it. */
function writeAtomically(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

function pruneCache(): void {
  const entries = fs
    .readdirSync(BUNDLE_CACHE_DIR)
    .map((name) => path.join(BUNDLE_CACHE_DIR, name))
    .map((file) => ({ file, mtimeMs: fs.statSync(file).mtimeMs }));
  const bundles = entries
    .filter(({ file }) => /workflow-bundle-[0-9a-f]+\.js$/.test(file))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { file } of bundles.slice(KEEP)) {
    fs.rmSync(inputsPathOf(file), { force: true });
    fs.rmSync(file, { force: true });
  }
  // Left by a builder killed before its rename.
  for (const { file, mtimeMs } of entries) {
    if (file.endsWith('.tmp') && mtimeMs < Date.now() - 3_600_000) fs.rmSync(file, { force: true });
  }
}

async function buildBundle(codePath: string): Promise<void> {
  let read: Iterable<string> = [];
  const recordInputs: WebpackPlugin = (compiler) => {
    compiler.hooks.done.tap('durable-batch-inputs', (stats) => {
      read = stats.compilation.fileDependencies;
    });
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(WORKFLOWS_DIR, 'index.ts'),
    // webpack's statistics are noise on success; on failure they come as an error.
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (message) => console.error(message),
      error: (message) => console.error(message),
    },
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), recordInputs],
    }),
  });
  // Directories and webpack's generated entry point are in the list too: files on disk only.
  const files = [...read].filter((file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile());
  files.sort();
  fs.mkdirSync(path.dirname(codePath), { recursive: true });
  // The code first: a reader checks the inputs, then takes the code.
  writeAtomically(codePath, code);
  writeAtomically(inputsPathOf(codePath), JSON.stringify({ files, hash: hashFiles(files) }));
  try {
    if (path.dirname(codePath) === BUNDLE_CACHE_DIR) pruneCache();
  } catch {
    // Another builder pruning at the same time: whatever is left goes next time.
  }
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node dist/src/workflow-bundle.js <out.js>');
    process.exit(2);
  }
  buildBundle(path.resolve(out)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
