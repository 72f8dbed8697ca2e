#!/usr/bin/env node
// Bootstrap: makes sure everything the project needs outside npm is on this machine, and that the
// Batch emulator package and the project itself are compiled.
// Plain Node with no dependencies, so it runs before `npm ci` (and runs `npm ci` itself).
// Run first by `npm start`, `npm test`, `npm run stack` and `.ci/run`; quick when all is there.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TEMPORAL_CLI_VERSION = '1.5.1';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

function log(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

/** Per-user cache outside the repo, so CI runs on the same machine reuse a built CLI. */
function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'durable-batch');
}

function temporalCacheDir() {
  return path.join(cacheDir(), `temporal-${TEMPORAL_CLI_VERSION}`);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(command) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

/**
 * Finds the Temporal CLI without building or downloading anything.
 * Order: TEMPORAL_CLI, `temporal` on PATH, the per-user cache.
 * @returns {{ path: string, source: string } | undefined}
 */
function findTemporalCli() {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file: fix or unset it.`);
    }
    return { path: fromEnv, source: 'TEMPORAL_CLI' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = path.join(temporalCacheDir(), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

function buildTemporalCliWithGo() {
  const go = onPath('go') || (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : '');
  if (!go) return undefined;
  const target = temporalCacheDir();
  fs.mkdirSync(target, { recursive: true });
  log(
    `building the Temporal CLI v${TEMPORAL_CLI_VERSION} with Go into ${target}; ` +
      'this takes a few minutes, once per machine',
  );
  const started = Date.now();
  const result = spawnSync(
    go,
    ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`],
    { stdio: 'inherit', env: { ...process.env, CGO_ENABLED: '0', GOBIN: target } },
  );
  if (result.status !== 0) {
    log(`go install failed (exit ${result.status})`);
    return undefined;
  }
  log(`built the Temporal CLI in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const built = path.join(target, 'temporal');
  return isExecutable(built) ? { path: built, source: 'built with go' } : undefined;
}

/** Last resort when online: let @temporalio/testing download the CLI into our cache. */
function downloadTemporalCliWithSdk() {
  const downloadDir = path.join(temporalCacheDir(), 'sdk-download');
  const script = `
    const { TestWorkflowEnvironment } = require('@temporalio/testing');
    TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir: ${JSON.stringify(downloadDir)} } } })
      .then((env) => env.teardown())
      .then(() => process.exit(0), (err) => { console.error(String(err)); process.exit(1); });`;
  log('no Go here: trying the Temporal SDK download of the CLI (needs internet)');
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    timeout: 300_000,
  });
  if (result.status !== 0 || !fs.existsSync(downloadDir)) return undefined;
  for (const name of fs.readdirSync(downloadDir)) {
    const candidate = path.join(downloadDir, name);
    if (isExecutable(candidate)) return { path: candidate, source: 'SDK download' };
  }
  return undefined;
}

function ensureTemporalCli() {
  const found = findTemporalCli() || buildTemporalCliWithGo() || downloadTemporalCliWithSdk();
  if (!found) {
    throw new Error(
      'No Temporal CLI found. Do one of: set TEMPORAL_CLI to a temporal binary; put `temporal` on PATH; ' +
        `install Go and run \`CGO_ENABLED=0 GOBIN=${temporalCacheDir()} go install ` +
        `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}\`.`,
    );
  }
  return found;
}

function ensureNodeModules() {
  const lock = path.join(PROJECT_ROOT, 'package-lock.json');
  const marker = path.join(PROJECT_ROOT, 'node_modules', '.package-lock.json');
  const fresh =
    fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs - 1000;
  if (fresh) return 'present';
  log('node_modules missing or older than package-lock.json: running npm ci');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`npm ci failed (exit ${result.status})`);
  return 'installed';
}

const EMULATOR_DIR = path.join(PROJECT_ROOT, 'packages', 'azure-batch-emulator');
/** Written by every build that changed something; touched here after each build. */
const EMULATOR_STAMP = path.join(EMULATOR_DIR, 'dist', '.tsbuildinfo');

/** The newest modification time among the package's sources and build settings. */
function newestSourceMtime(file) {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory
  for (const name of fs.readdirSync(file)) {
    newest = Math.max(newest, newestSourceMtime(path.join(file, name)));
  }
  return newest;
}

/**
 * The Batch emulator (packages/azure-batch-emulator) runs as compiled JavaScript with plain node:
 * built when its dist/ is missing or older than its sources (an incremental tsc, a few seconds).
 */
function ensureEmulatorBuild() {
  const inputs = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
  const newest = Math.max(
    ...inputs.map((name) => newestSourceMtime(path.join(EMULATOR_DIR, name))),
  );
  const main = path.join(EMULATOR_DIR, 'dist', 'main.js');
  if (fs.existsSync(main) && fs.existsSync(EMULATOR_STAMP)) {
    if (fs.statSync(EMULATOR_STAMP).mtimeMs >= newest) return 'up to date';
  }
  log('building the Batch emulator (packages/azure-batch-emulator/dist)');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [EMULATOR_DIR, PROJECT_ROOT] });
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: EMULATOR_DIR,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(`building the Batch emulator failed (exit ${result.status})`);
  }
  // tsc leaves its build info alone when no output changed (a file only touched).
  const now = new Date();
  fs.utimesSync(EMULATOR_STAMP, now, now);
  return 'built';
}

/** The product and the bench, compiled for plain node; tests and scripts/ stay under tsx. */
const BUILD_SOURCES = ['src', 'bench'];

function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

const isTypeScript = (file) => file.endsWith('.ts') && !file.endsWith('.d.ts');
const mtimeOf = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** A source's text, or undefined when it went away since it was listed (an editor's save). */
function readIfPresent(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err && err.code === 'ENOENT') return undefined;
    throw err;
  }
}

function linkTarget(file) {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined; // absent, or not a link
  }
}

/** Concurrent builders (two commands started at once) each write whole files. */
function writeAtomically(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

/** tsconfig.json's options, for CommonJS output (what nodenext means for this package). */
function transpileOptions(ts, root) {
  const file = path.join(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
  return { ...options, module: ts.ModuleKind.CommonJS, noEmit: false };
}

/**
 * The project (src/ and bench/) as JavaScript in dist/, so that the worker, the client,
 * `npm start` and the bench start with plain node instead of compiling TypeScript at every start.
 * Each .ts file newer than its .js (or than tsconfig.json or this file) is transpiled alone:
 * tsconfig.json's isolatedModules makes that exact, and the type check stays
 * `npm run typecheck`'s, as it was under tsx. Outputs of deleted sources are removed; .cjs files
 * are linked, not copied, so their __dirname stays in src/. A source deleted while the build runs
 * is treated as deleted.
 * @param {string} [root] the project's root (another one only in the build's own test)
 * @returns {string} what it did
 */
function ensureProjectBuild(root = PROJECT_ROOT) {
  const buildDir = path.join(root, 'dist');
  /** dist/src/cli/main.js for src/cli/main.ts. */
  const outputOf = (source) =>
    path.join(buildDir, path.relative(root, source)).replace(/\.ts$/, '.js');
  const settingsMtime = Math.max(mtimeOf(path.join(root, 'tsconfig.json')), mtimeOf(__filename));
  const listed = BUILD_SOURCES.flatMap((dir) => filesUnder(path.join(root, dir)));
  // One stat per source: -1 for one deleted since it was listed.
  const mtimes = new Map(listed.map((file) => [file, mtimeOf(file)]));
  const vanished = new Set(listed.filter((file) => mtimes.get(file) < 0));
  const stale = listed.filter(
    (file) =>
      isTypeScript(file) &&
      !vanished.has(file) &&
      mtimeOf(outputOf(file)) < Math.max(mtimes.get(file), settingsMtime),
  );
  let compiled = 0;
  if (stale.length > 0) {
    const ts = require(require.resolve('typescript', { paths: [root] }));
    const compilerOptions = transpileOptions(ts, root);
    for (const file of stale) {
      const text = readIfPresent(file);
      if (text === undefined) {
        vanished.add(file);
        continue;
      }
      const { outputText } = ts.transpileModule(text, { compilerOptions, fileName: file });
      writeAtomically(outputOf(file), outputText);
      compiled += 1;
    }
  }
  const sources = listed.filter((file) => !vanished.has(file));
  for (const file of sources.filter((name) => name.endsWith('.cjs'))) {
    const link = path.join(buildDir, path.relative(root, file));
    const target = path.relative(path.dirname(link), file);
    if (linkTarget(link) === target) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    const temp = `${link}.${process.pid}.tmp`;
    fs.rmSync(temp, { force: true });
    fs.symlinkSync(target, temp);
    fs.renameSync(temp, link);
  }
  const expected = new Set(sources.filter(isTypeScript).map(outputOf));
  const removed = BUILD_SOURCES.flatMap((dir) => filesUnder(path.join(buildDir, dir))).filter(
    (file) => file.endsWith('.js') && !expected.has(file),
  );
  for (const file of removed) fs.rmSync(file, { force: true });
  if (compiled === 0 && removed.length === 0) return 'up to date';
  return `built (${compiled} file(s) compiled, ${removed.length} removed)`;
}

function ensureFfmpeg() {
  const found = onPath('ffmpeg');
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && onPath('apt-get')) {
    log('ffmpeg missing: installing Debian/Ubuntu package ffmpeg with apt-get');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ffmpeg'], {
      stdio: 'inherit',
      env,
    });
    if (result.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ffmpeg'], {
        stdio: 'inherit',
        env,
      });
    }
    const installed = onPath('ffmpeg');
    if (installed) return installed;
  }
  throw new Error(
    'ffmpeg is not on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y ffmpeg`; ' +
      'macOS: `brew install ffmpeg`) and run again.',
  );
}

const CHROMIUM = '/usr/bin/chromium';

/** Debian itself (Ubuntu's `chromium` package is a snap wrapper that containers cannot run). */
function isDebian() {
  try {
    return /^ID="?debian"?$/m.test(fs.readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Chromium for the Web UI browser test (playwright-core drives Debian's chromium; npm cannot
 * download a browser here). Not fatal when missing: that test skips and says why.
 * @returns {string} where it is, or why it is not
 */
function ensureChromium() {
  if (isExecutable(CHROMIUM)) return CHROMIUM;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && isDebian() && onPath('apt-get')) {
    log('chromium missing (the Web UI test needs it): installing Debian package chromium (~40 s)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      spawnSync('apt-get', ['install', '-y', 'chromium'], {
        stdio: 'inherit',
        env,
      });
    if (install().status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      install();
    }
    if (isExecutable(CHROMIUM)) return CHROMIUM;
  }
  log(
    `chromium is not at ${CHROMIUM}: the Web UI browser test (test/ui) will be skipped. ` +
      "Install Debian's chromium (`sudo apt-get install -y chromium`) and run again.",
  );
  return 'missing (Web UI test skipped)';
}

/**
 * `bootstrap.cjs [mode] --then <script> [args...]`: the script to run in this same process once
 * the bootstrap is done (npm run client, npm start), saving a second Node start on every command.
 * @returns {{ mode: string | undefined, then: { script: string, args: string[] } | undefined }}
 */
function parseArgs(argv) {
  const at = argv.indexOf('--then');
  const own = at < 0 ? argv : argv.slice(0, at);
  const then =
    at < 0
      ? undefined
      : { script: path.resolve(PROJECT_ROOT, argv[at + 1]), args: argv.slice(at + 2) };
  return { mode: own[0], then };
}

/** Runs `then` as this process's main module, as `node <script> <args>` would. */
function runMain(then) {
  process.argv = [process.argv[0], then.script, ...then.args];
  require('node:module').runMain();
}

function main() {
  const started = Date.now();
  const { mode, then } = parseArgs(process.argv.slice(2));
  try {
    bootstrap(mode, started);
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if (then) runMain(then);
}

/** What `mode` needs on this machine, checked (and built or installed when missing). */
function bootstrap(mode, started) {
  const modules = ensureNodeModules();
  const emulator = ensureEmulatorBuild();
  // `bootstrap.cjs emulator` (npm run emulator): what the emulator alone needs.
  if (mode === 'emulator') {
    log(`ready in ${Date.now() - started} ms: node_modules ${modules}; emulator ${emulator}`);
    return;
  }
  const project = ensureProjectBuild();
  // `bootstrap.cjs build` (npm run client, npm run worker): the JavaScript only, and silent when
  // nothing changed, since it runs before every command.
  if (mode === 'build') {
    if (modules !== 'present' || emulator !== 'up to date' || project !== 'up to date') {
      log(`ready in ${Date.now() - started} ms: emulator ${emulator}; project ${project}`);
    }
    return;
  }
  const temporal = ensureTemporalCli();
  const ffmpeg = ensureFfmpeg();
  // `bootstrap.cjs test` (npm test, CI): Chromium too, which only the browser test needs.
  const chromium = mode === 'test' ? `; chromium ${ensureChromium()}` : '';
  log(
    `ready in ${Date.now() - started} ms: node_modules ${modules}; ` +
      `temporal ${temporal.path} (${temporal.source}); ffmpeg ${ffmpeg}${chromium}; ` +
      `emulator ${emulator}; project ${project}`,
  );
}

module.exports = {
  TEMPORAL_CLI_VERSION,
  cacheDir,
  ensureEmulatorBuild,
  ensureProjectBuild,
  findTemporalCli,
  onPath,
};

if (require.main === module) main();
