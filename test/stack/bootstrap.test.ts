import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/config';
import { findTemporalCli } from '../../src/stack/bootstrap.cjs';

test('the bootstrap finds the Temporal CLI and it is a dev-server-capable binary', () => {
  const cli = findTemporalCli();
  assert.ok(cli, 'no Temporal CLI found');
  const help = spawnSync(cli.path, ['server', 'start-dev', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--db-filename/);
});

test('TEMPORAL_CLI pointing at a missing file is a clear error', () => {
  const missingCli = path.join(os.tmpdir(), `missing-temporal-${process.pid}`);
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'src/stack/bootstrap.cjs')], {
    env: { ...process.env, TEMPORAL_CLI: missingCli },
    encoding: 'utf8',
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, new RegExp(`TEMPORAL_CLI=${missingCli} is not an executable file`));
});

test('a second bootstrap run finds everything already in place', () => {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'src/stack/bootstrap.cjs')], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(
    result.stderr,
    /ready in \d+ ms: node_modules present; temporal .+; ffmpeg .+ffmpeg.*; emulator up to date/,
  );
  assert.ok(fs.existsSync(path.join(PROJECT_ROOT, 'node_modules')));
  assert.doesNotMatch(
    result.stderr,
    /running npm ci|building the Temporal CLI|building the Batch emulator/,
  );
});

test('the Batch emulator package is compiled: its bin runs with plain node', () => {
  const manifest = require.resolve('azure-batch-emulator/package.json');
  const { bin } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const program = path.join(path.dirname(manifest), bin['azure-batch-emulator']);
  assert.ok(fs.readFileSync(program, 'utf8').startsWith('#!/usr/bin/env node\n'), program);
  const version = spawnSync(process.execPath, [program, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
