// What a run came to, for a person: the result's summary and `status`, with and without a
// failure's stderr and kept logs, and what is left to convert.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressLine, stripAnsi } from '../../src/cli/format';
import { resultSummary, runStatusText } from '../../src/cli/summary';
import { progressOf, resultOf } from './progress-fixture';

test("a failed task's summary ends its stderr and says where its logs are kept", () => {
  const result = resultOf({
    status: 'partially-failed',
    message: '1 of 2 file(s) converted; 1 task(s) failed.',
    counts: { active: 0, running: 0, completed: 2, succeeded: 1, failed: 1 },
    outputContainer: 'run-output',
    outputCount: 1,
    outputBytes: 10,
    outputs: [{ name: 'good.mp3', size: 10 }],
    failedTasks: [
      {
        taskId: 'task-00001',
        inputBlob: 'noaudio.mp4',
        exitCode: 1,
        failureCode: 'FailureExitCode',
        stderrTail: 'first\nsecond\nthird\nOutput file #0 does not contain any stream\n',
        logs: '_runs/run/first/logs/task-00001',
      },
      { taskId: 'task-00002', inputBlob: 'old.mp4', exitCode: 1 },
    ],
    phaseMs: { running: 1000 },
  });
  const text = stripAnsi(resultSummary(result, 'http://ui'));
  assert.match(
    text,
    /failed task-00001 \(noaudio\.mp4\): exit 1, FailureExitCode\n {6}second\n {6}third\n {6}Output file #0 does not contain any stream\n {6}logs: run-output\/_runs\/run\/first\/logs\/task-00001\/ \(stdout\.txt, stderr\.txt\)\n/,
  );
  assert.match(
    text,
    /failed task-00002 \(old\.mp4\): exit 1\n {2}created:/,
    'no logs line when none kept',
  );
});

describe('runStatusText (the status command, for a person)', () => {
  test('a running run: its line, pool and job, failures with their kept logs, time so far', () => {
    const progress = progressOf('running', {
      total: 5,
      counts: { active: 1, running: 2, completed: 2, succeeded: 1, failed: 1 },
      allocationState: 'steady',
      nodeStates: { running: 2, idle: 1 },
    });
    progress.failures = [
      {
        taskId: 'task-00003',
        inputBlob: 'c.mp4',
        exitCode: 1,
        stderrTail: 'Output file #0 does not contain any stream\n',
        logs: '_runs/wf-1/r/logs/task-00003',
      },
    ];
    progress.phaseMs = { preparing: 300, running: 700 };
    const text = stripAnsi(
      runStatusText({ workflowId: 'wf-1', status: 'RUNNING', progress, uiLink: 'http://ui' }),
    );
    assert.equal(
      text,
      [
        'wf-1: running',
        '  [running] 5 files, 5.0 MiB · pool steady, 3/3 nodes ready · tasks 2/5 done (2 running, 1 waiting) · 1 failed',
        '  resources: pool pool-1 (steady, 3/3 nodes ready), job job-1',
        '  failed task-00003 (c.mp4): exit 1',
        '      Output file #0 does not contain any stream',
        '      logs: _runs/wf-1/r/logs/task-00003/ (stdout.txt, stderr.txt, in the output container)',
        '  time: 1.0 s (preparing 0.3 s, running 0.7 s)',
        '  Web UI: http://ui',
      ].join('\n'),
    );
  });

  test('a run that failed: why first; without a worker to answer, says so', () => {
    const text = runStatusText({
      workflowId: 'wf-2',
      status: 'FAILED',
      error: 'create pool p: 400 InvalidPropertyValue',
      uiLink: 'http://ui',
    });
    assert.match(
      stripAnsi(text),
      /^wf-2: failed\n {2}error: create pool p: 400 InvalidPropertyValue\n {2}progress: not available/,
    );
  });

  test('waiting for a cleanup decision: the command that gives it', () => {
    const progress = progressOf('awaiting-cleanup-decision', {
      total: 1,
      counts: { completed: 1, succeeded: 1 },
    });
    const text = stripAnsi(
      runStatusText({ workflowId: 'wf-1', status: 'RUNNING', progress, uiLink: 'http://ui' }),
    );
    assert.match(text, /\n {2}Waiting for a cleanup decision until .*approve-cleanup wf-1/);
  });

  test('a completed run: its result', () => {
    const progress = progressOf('done');
    const result = resultOf();
    const text = stripAnsi(
      runStatusText({
        workflowId: 'wf-1',
        status: 'COMPLETED',
        progress,
        result,
        uiLink: 'http://ui',
      }),
    );
    assert.equal(text, `wf-1: completed\n${stripAnsi(resultSummary(result, 'http://ui'))}`);
  });
});

test('a cancelled run counts the tasks its terminate ended as unfinished, not failed', () => {
  const ids = ['task-00000', 'task-00001', 'task-00002'];
  const result = resultOf({
    status: 'cancelled',
    message: 'Cancelled (testing); 1 of 4 outputs stored.',
    // Batch's own counts: a task ended by the terminate is completed with failure.
    counts: { active: 0, running: 0, completed: 4, succeeded: 1, failed: 3 },
    outputCount: 1,
    unfinishedTasks: ids,
    failedCount: 0,
    unfinishedCount: 3,
  });
  const text = stripAnsi(resultSummary(result, 'http://ui', 'wf-9'));
  assert.match(text, /\n {2}tasks: 1 succeeded, 0 failed, 3 unfinished of 4\n/);
  assert.match(text, /\n {2}3 file\(s\) left to convert: npm run client -- retry wf-9\n {2}Web UI/);
  // A run that converted everything, or failed before its tasks, has no such line.
  for (const status of ['succeeded', 'failed'] as const) {
    const ended = stripAnsi(resultSummary({ ...result, status }, 'http://ui', 'wf-9'));
    assert.doesNotMatch(ended, /retry/);
  }

  const progress = progressOf('awaiting-cleanup-decision', {
    total: 4,
    counts: { completed: 4, succeeded: 1, failed: 3 },
  });
  progress.failedCount = 0;
  progress.unfinishedCount = 3;
  const line = progressLine({ progress });
  assert.match(line, /tasks 4\/4 done \(0 running, 0 waiting\) · 3 unfinished/);
  assert.doesNotMatch(line, /failed/);
});
