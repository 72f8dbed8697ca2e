// `watch --json` on a real run of the test stack: progress lines from the workflow's query and
// the server's pending activities, in phase order, through to the result.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { watchRun, type Output } from '../../src/cli/watch';
import { makeSampleClips } from '../../src/demo/samples';
import { PHASES, type Phase, type Progress, type TranscodeWorkflow } from '../../src/transcode';
import { testConfig } from '../helpers/stack';
import { startTestWorker } from '../helpers/worker';

test('watch --json follows a real run from upload to result', async () => {
  const tw = await startTestWorker(await testConfig(), 'watch-live');
  const clips = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-live-'));
  await makeSampleClips(clips, 2, 1);
  const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
    taskQueue: tw.taskQueue,
    workflowId: `watch-live-${Date.now()}`,
    args: [
      {
        input: { localDir: clips },
        output: { commandTemplate: '/bin/bash -c "sleep 1; ffmpeg -y -i {input} {output}"' },
        pool: { lowPriorityNodes: 2 },
        cleanup: { policy: 'always' },
        polling: { minIntervalSeconds: 0.2, maxIntervalSeconds: 0.5 },
      },
    ],
  });
  const written: string[] = [];
  const out: Output = { write: (chunk: string) => written.push(chunk) };
  const result = await watchRun(handle, { json: true, tty: false, intervalMs: 200, out }).finally(
    () => fs.rmSync(clips, { recursive: true, force: true }),
  );
  assert.equal(result.status, 'succeeded', result.message);

  const lines = written
    .join('')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { progress?: Progress; notice?: string });
  const progress = lines.flatMap((l) => (l.progress ? [l.progress] : []));
  assert.ok(progress.length >= 2, `too few progress lines: ${written.join('')}`);
  const order: readonly Phase[] = PHASES;
  const seen = progress.map((p) => order.indexOf(p.phase));
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
    'phases out of order',
  );
  const running = progress.filter((p) => p.phase === 'running' && p.tasks.total === 2);
  assert.ok(running.length > 0, 'no line while the tasks ran');
  assert.ok(
    lines.every((l) => !l.notice),
    'unexpected notice',
  );
});
