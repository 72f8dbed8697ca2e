// The README's plain `temporal workflow …` commands, run verbatim against a real worker.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config';
import { findTemporalCli } from '../../src/stack/bootstrap.cjs';
import { makeSampleClips } from '../../src/demo/samples';
import { testConfig } from '../helpers/stack';
import { startTestWorker } from '../helpers/worker';

const run = promisify(execFile);

function readmeCommands(): string {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- raw-temporal-commands -->\s*```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has no raw-temporal-commands block');
  return block[1];
}

test('the README’s temporal CLI commands start, query, approve and finish a run', async () => {
  const base = await testConfig();
  // The README uses the default task queue; only this test listens on it in the test stack.
  await startTestWorker(
    { ...base, temporal: { ...base.temporal, taskQueue: 'batch-transcode' } },
    'raw',
    {
      exactTaskQueue: true,
    },
  );
  const clips = fs.mkdtempSync(path.join(os.tmpdir(), 'raw-cli-'));
  await makeSampleClips(clips, 2, 1);
  const cli = findTemporalCli();
  assert.ok(cli);
  const script = `set -euo pipefail\n${readmeCommands()}`;
  const { stdout } = await run('bash', ['-c', script], {
    env: {
      ...process.env,
      PATH: `${path.dirname(cli.path)}:${process.env.PATH}`,
      TEMPORAL_ADDRESS: base.temporal.address,
      CLIPS: clips,
      RUN: `raw-cli-${Date.now()}`,
    },
    timeout: 120_000,
  });
  assert.match(stdout, /"phase":/, 'the progress query printed no phase');
  assert.match(stdout, /"status":\s*"succeeded"/, `the result was not a success:\n${stdout}`);
  assert.match(stdout, /2 of 2 file\(s\) converted/);
});
