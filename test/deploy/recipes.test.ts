// The deploy recipes (deploy/Dockerfile, deploy/durable-batch-worker.service) checked as far as
// this machine allows: parsed, every file they name present, the command they run the same as
// `npm run worker`'s, their settings valid configuration; `systemd-analyze verify` and
// `docker build` when those can run here (the test says when they cannot).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError, loadConfig, PROJECT_ROOT, WORKER_DEFAULTS } from '../../src/config';
import { workerCommand } from '../../src/worker';

const run = promisify(execFile);
const DOCKERFILE = path.join(PROJECT_ROOT, 'deploy', 'Dockerfile');
const UNIT = path.join(PROJECT_ROOT, 'deploy', 'durable-batch-worker.service');

const DOCKER_INSTRUCTIONS = new Set(
  'FROM RUN CMD LABEL EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD STOPSIGNAL HEALTHCHECK SHELL'.split(
    ' ',
  ),
);

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile instructions: comments dropped, continuation lines joined. */
function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    const joined = pending ? `${pending.text} ${line}` : line;
    const start = pending?.line ?? i + 1;
    if (joined.endsWith('\\')) {
      pending = { text: joined.slice(0, -1).trim(), line: start };
      continue;
    }
    pending = undefined;
    const [keyword, ...rest] = joined.split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
  }
  assert.equal(pending, undefined, 'the Dockerfile ends inside a continued line');
  return out;
}

/** `KEY=value KEY2=value` (ENV and systemd Environment=). */
function assignments(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
}

/** The settings a recipe sets must be ones the worker accepts. */
function assertValidSettings(env: Record<string, string>, where: string): void {
  try {
    loadConfig({ ...env, DURABLE_BATCH_ENV_FILE: 'none' });
  } catch (err) {
    assert.fail(`${where}: ${err instanceof ConfigError ? err.message : String(err)}`);
  }
}

test('Dockerfile: valid instructions, files that exist, the worker started as npm run worker', () => {
  const instructions = dockerInstructions(fs.readFileSync(DOCKERFILE, 'utf8'));
  assert.equal(instructions[0]?.keyword, 'FROM', 'the first instruction must be FROM');
  for (const { keyword, line } of instructions) {
    assert.ok(DOCKER_INSTRUCTIONS.has(keyword), `line ${line}: unknown instruction ${keyword}`);
  }
  for (const { args, line } of instructions.filter((i) => i.keyword === 'COPY')) {
    const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
    assert.ok(words.length >= 2, `line ${line}: COPY needs a source and a destination`);
    for (const source of words.slice(0, -1)) {
      assert.ok(
        fs.existsSync(path.join(PROJECT_ROOT, source)),
        `line ${line}: COPY ${source}: no such file in the repository`,
      );
    }
  }
  const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1);
  assert.ok(cmd, 'no CMD');
  // Exec form, so SIGTERM reaches node itself rather than a shell.
  const argv = JSON.parse(cmd.args) as string[];
  const expected = workerCommand();
  assert.deepEqual(argv, ['node', ...expected.args], 'CMD is not `npm run worker`’s command');
  const script = argv.at(-1)!;
  assert.match(script, /^dist\/src\/(.+)\.js$/);
  const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
  assert.ok(fs.existsSync(path.join(PROJECT_ROOT, source)), `${source} is not in the repository`);
  const run = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  assert.ok(
    run.some((r) => r.includes('src/stack/bootstrap.cjs build')),
    'the image does not build dist/',
  );
  const env = Object.assign(
    {},
    ...instructions.filter((i) => i.keyword === 'ENV').map((i) => assignments(i.args)),
  ) as Record<string, string>;
  for (const [name, value] of Object.entries(expected.env)) assert.equal(env[name], value, name);
  assertValidSettings(env, 'Dockerfile ENV');
  assert.deepEqual(
    instructions.filter((i) => i.keyword === 'STOPSIGNAL').map((i) => i.args),
    ['SIGTERM'],
  );
  assert.ok(fs.existsSync(`${DOCKERFILE}.dockerignore`), 'no deploy/Dockerfile.dockerignore');
});

test('docker build, when a Docker daemon answers here', async (t) => {
  const daemon = await run('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeout: 15_000,
  }).then(
    () => true,
    () => false,
  );
  if (!daemon) {
    t.skip('no Docker daemon on this machine: the Dockerfile is only parsed (test above)');
    return;
  }
  await run('docker', ['build', '-f', DOCKERFILE, '-t', 'durable-batch-worker:test', '.'], {
    cwd: PROJECT_ROOT,
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
});

test('systemd unit: sections and keys, the worker started as npm run worker, verified', async (t) => {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const [i, raw] of fs.readFileSync(UNIT, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1], current);
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(pair && current, `line ${i + 1} is neither a section nor Key=value: ${line}`);
    current.push([pair[1], pair[2]]);
  }
  assert.deepEqual([...sections.keys()], ['Unit', 'Service', 'Install']);
  const service = sections.get('Service')!;
  const value = (key: string) => service.filter(([k]) => k === key).map(([, v]) => v);
  assert.deepEqual(value('Type'), ['simple']);
  assert.deepEqual(value('KillSignal'), ['SIGTERM']);
  const [exec] = value('ExecStart');
  const [node, ...args] = exec.split(/\s+/);
  assert.ok(path.isAbsolute(node), 'ExecStart must name node by its absolute path');
  const expected = workerCommand();
  assert.deepEqual(args, expected.args, 'ExecStart is not `npm run worker`’s command');
  const env = Object.assign({}, ...value('Environment').map(assignments)) as Record<string, string>;
  for (const [name, v] of Object.entries(expected.env)) assert.equal(env[name], v, name);
  assertValidSettings(env, 'the unit’s Environment=');
  // systemd must wait longer than the worker's grace time before it kills.
  const grace = Number(
    env.DURABLE_BATCH_SHUTDOWN_GRACE_SECONDS ?? WORKER_DEFAULTS.shutdownGraceSeconds,
  );
  const [stopSec] = value('TimeoutStopSec');
  assert.ok(Number(stopSec) > grace, `TimeoutStopSec=${stopSec} is not more than ${grace} s`);
  assert.deepEqual(sections.get('Install'), [['WantedBy', 'multi-user.target']]);

  const verify = await run('systemd-analyze', ['--version']).then(
    () => true,
    () => false,
  );
  if (!verify) {
    t.diagnostic('systemd-analyze is not on this machine: the unit is only parsed');
    return;
  }
  const { stdout, stderr } = await run('systemd-analyze', ['verify', UNIT]).catch(
    (err: { stdout: string; stderr: string; code: number }) =>
      assert.fail(`systemd-analyze verify failed (${err.code}):\n${err.stdout}${err.stderr}`),
  );
  assert.equal(`${stdout}${stderr}`.trim(), '', 'systemd-analyze verify had something to say');
});

test('worker settings: defaults, values from the environment, clear refusals', () => {
  const base = { DURABLE_BATCH_ENV_FILE: 'none' };
  const defaults = loadConfig(base).worker;
  assert.equal(defaults.shutdownGraceMs, WORKER_DEFAULTS.shutdownGraceSeconds * 1000);
  assert.equal(defaults.maxConcurrentActivities, WORKER_DEFAULTS.maxConcurrentActivities);
  assert.equal(defaults.maxConcurrentWorkflowTasks, WORKER_DEFAULTS.maxConcurrentWorkflowTasks);
  assert.ok(defaults.hostId.length > 0);
  const set = loadConfig({
    ...base,
    DURABLE_BATCH_HOST_ID: 'media-01.example',
    DURABLE_BATCH_SHUTDOWN_GRACE_SECONDS: '2.5',
    DURABLE_BATCH_MAX_CONCURRENT_ACTIVITIES: '8',
    DURABLE_BATCH_MAX_CONCURRENT_WORKFLOW_TASKS: '4',
  }).worker;
  assert.deepEqual(set, {
    hostId: 'media-01.example',
    shutdownGraceMs: 2500,
    maxConcurrentActivities: 8,
    maxConcurrentWorkflowTasks: 4,
  });
  assert.throws(
    () =>
      loadConfig({
        ...base,
        DURABLE_BATCH_HOST_ID: 'has space',
        DURABLE_BATCH_MAX_CONCURRENT_ACTIVITIES: '0',
      }),
    (err: Error) =>
      err instanceof ConfigError &&
      /DURABLE_BATCH_HOST_ID="has space": must be letters, digits/.test(err.message) &&
      /DURABLE_BATCH_MAX_CONCURRENT_ACTIVITIES="0": must be at least 1/.test(err.message),
  );
});
