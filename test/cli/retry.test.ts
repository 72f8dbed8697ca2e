// What `client retry` starts: the same input into the same output container, not forced, with
// fresh job and pool ids, under the next free `-retry-N` id (pure parts; the run itself is in
// test/workflows/incremental.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryInput, retryWorkflowId } from '../../src/cli/commands/retry';
import { planTranscode, type TranscodeInput } from '../../src/transcode';

test('retry ids count on from the first run, whatever run is retried', () => {
  assert.equal(retryWorkflowId('transcode-1', 1), 'transcode-1-retry-1');
  assert.equal(retryWorkflowId('transcode-1-retry-1', 2), 'transcode-1-retry-2');
});

test('a retry writes into the output container the old run wrote, unforced, with new ids', () => {
  const old: TranscodeInput = {
    input: { localDir: '/data/in' },
    pool: { id: 'my-pool', lowPriorityNodes: 3 },
    job: { id: 'my-job' },
    force: true,
  };
  const derived = planTranscode('run-a', old, 'first-run-id').outputContainer;
  const input = retryInput('run-a', old, 'first-run-id');
  assert.deepEqual(input, {
    input: { localDir: '/data/in' },
    output: { container: derived },
    pool: { lowPriorityNodes: 3 },
  });
  // A named container stays named.
  const named = retryInput('run-b', { ...old, output: { container: 'outs' } }, 'x');
  assert.equal(named.output?.container, 'outs');
  // The retry's input is valid as it stands.
  assert.doesNotThrow(() => planTranscode('run-a-retry-1', input, 'y'));
});
