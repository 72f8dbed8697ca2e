import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TUTORIAL_DEFAULTS,
  InvalidInputError,
  deriveBatchId,
  deriveContainerName,
  planTranscode,
} from '../../src/transcode';
import { duplicateOutputs, outputNameFor, planTasks } from '../../src/transcode';
import { matchesGlob } from '../../src/activities/glob';

test('defaults are the tutorial’s: 0 dedicated, 5 low-priority, STANDARD_A1_v2, ffmpeg start task, 30 min', () => {
  const plan = planTranscode('wf-1', { input: { localDir: '/data/in' } }, 'run-abc');
  assert.equal(plan.pool.dedicatedNodes, 0);
  assert.equal(plan.pool.lowPriorityNodes, 5);
  assert.equal(plan.pool.vmSize, 'STANDARD_A1_v2');
  assert.equal(plan.pool.startTaskCommand, TUTORIAL_DEFAULTS.pool.startTaskCommand);
  assert.equal(plan.timeoutMs, 30 * 60_000);
  assert.equal(plan.extension, 'mp3');
  assert.deepEqual(plan.cleanup, {
    policy: 'ask',
    decisionTimeoutMs: 3_600_000,
    defaultDecision: 'delete',
    // While the decision is awaited the pool is resized to 0 nodes (it costs nothing).
    keepNodesWhileWaiting: false,
  });
  assert.equal(plan.owner, 'wf-1/run-abc');
  assert.match(plan.pool.id, /^pool-wf-1-[a-z0-9]{7}$/);
  assert.match(plan.jobId, /^job-wf-1-[a-z0-9]{7}$/);
  assert.equal(plan.ownsInputContainer, true);
});

test('derived ids are stable for one run and differ between runs', () => {
  const a = planTranscode('same', { input: { localDir: '/x' } }, 'run-1');
  const b = planTranscode('same', { input: { localDir: '/x' } }, 'run-1');
  const c = planTranscode('same', { input: { localDir: '/x' } }, 'run-2');
  assert.equal(a.pool.id, b.pool.id);
  assert.notEqual(a.pool.id, c.pool.id);
  assert.notEqual(a.inputContainer, c.inputContainer);
});

test('derived names follow Batch and Blob rules whatever the workflow id', () => {
  const ugly = 'My Workflow/with spaces & ünïcode ' + 'x'.repeat(100);
  const id = deriveBatchId('pool', ugly);
  assert.match(id, /^[A-Za-z0-9_-]{1,64}$/);
  const container = deriveContainerName(ugly, 'output');
  assert.match(container, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  assert.ok(container.length >= 3 && container.length <= 63, container);
});

test('every problem of a bad input is listed at once', () => {
  assert.throws(
    () =>
      planTranscode('wf', {
        input: { localDir: 'relative/dir' },
        pool: { id: 'bad id!', lowPriorityNodes: -1 },
        job: { id: 'j'.repeat(65) },
        cleanup: { policy: 'sometimes' as never },
        timeoutMinutes: 0,
      }),
    (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.problems.length, 6, err.message);
      assert.match(err.message, /input.localDir must be an absolute path/);
      assert.match(err.message, /pool.id "bad id!" is not a valid Batch id/);
      assert.match(err.message, /job.id "j{65}" is not a valid Batch id/);
      assert.match(err.message, /pool.lowPriorityNodes must be between 0 and 1000/);
      assert.match(err.message, /cleanup.policy must be ask, always or never/);
      assert.match(err.message, /timeoutMinutes must be between/);
      return true;
    },
  );
  assert.throws(
    () => planTranscode('wf', { input: {} }),
    /input.localDir .* or input.blobContainer is required/,
  );
});

test('the input shape is checked strictly: wrong types and unknown fields, each named once', () => {
  const raw = {
    input: { localDir: '/in' },
    pool: { image: { publisher: 5 }, startTaskCommand: 7, vmsize: 'STANDARD_A1_v2' },
    output: ['mp3'],
    cleanup: { policy: 'sometimes', decisionTimeoutMinutes: '10' },
    timeoutMinutes: -1,
    extra: true,
  };
  assert.throws(
    () => planTranscode('wf', raw as never),
    (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      const expected = [
        /pool.image.publisher must be a string \(got number 5\)/,
        /pool.startTaskCommand must be a string \(got number 7\)/,
        /pool has unknown field\(s\) pool.vmsize/,
        /output must be an object \(got a list/,
        /cleanup.policy must be ask, always or never \(got string "sometimes"\)/,
        /cleanup.decisionTimeoutMinutes must be a number \(got string "10"\)/,
        /the input has unknown field\(s\) extra/,
        /timeoutMinutes must be between/,
      ];
      for (const pattern of expected) assert.match(err.message, pattern);
      assert.equal(err.problems.length, expected.length, err.message);
      return true;
    },
  );
  assert.throws(() => planTranscode('wf', [] as never), /the input must be a JSON object/);
});

test('task plans keep file names out of the command line', () => {
  const tasks = planTasks(
    [
      { blobName: `it's "quoted"; rm -rf $HOME.mp4`, size: 1 },
      { blobName: 'späce name.MP4', size: 2 },
    ],
    'mp3',
    '/bin/bash -c "ffmpeg -i {input} {output}"',
  );
  assert.equal(tasks[0].taskId, 'task-00000');
  assert.equal(tasks[0].commandLine, '/bin/bash -c "ffmpeg -i input.mp4 output.mp3"');
  assert.equal(tasks[0].outputBlob, `it's "quoted"; rm -rf $HOME.mp3`);
  assert.equal(tasks[1].localInput, 'input.mp4');
  assert.equal(tasks[1].outputBlob, 'späce name.mp3');
});

test('output names keep inner dots and collisions are found', () => {
  assert.equal(outputNameFor('dir/a.b.mp4', 'mp3'), 'a.b.mp3');
  assert.equal(outputNameFor('noext', 'mp3'), 'noext.mp3');
  assert.deepEqual(
    duplicateOutputs(
      [
        { blobName: 'a.mp4', size: 1 },
        { blobName: 'a.mov', size: 1 },
      ],
      'mp3',
    ),
    ['a.mp4 and a.mov both become a.mp3'],
  );
});

test('file-name globs', () => {
  assert.ok(matchesGlob('clip.mp4', '*.mp4'));
  assert.ok(matchesGlob('CLIP.MP4', '*.mp4'));
  assert.ok(!matchesGlob('clip.mp4.txt', '*.mp4'));
  assert.ok(matchesGlob('LowPriVMs-4.mp4', 'LowPriVMs-?.mp4'));
  assert.ok(matchesGlob('b.mp4', '[ab].mp4'));
  assert.ok(!matchesGlob('c.mp4', '[ab].mp4'));
  assert.ok(matchesGlob('a+b(1).mp4', 'a+b(1).mp4'));
});
