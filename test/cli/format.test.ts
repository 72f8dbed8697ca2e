// Progress lines: what they say, with and without colour, and when colour is allowed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bytes,
  changeKey,
  progressLine,
  resultSummary,
  roughDuration,
  runStatusText,
  statusLine,
  stripAnsi,
  useColour,
  type Snapshot,
} from '../../src/cli/format';
import { progressOf, resultOf } from './progress-fixture';

const ESC = '\u001b[';

const running: Snapshot = {
  progress: progressOf('running', {
    total: 5,
    counts: { active: 1, running: 2, completed: 2, succeeded: 1, failed: 1 },
    allocationState: 'steady',
    nodeStates: { running: 2, starting: 1 },
  }),
  etaMs: 8_200,
};

describe('useColour', () => {
  test('only on a TTY', () => {
    assert.equal(useColour({ isTTY: true }, {}), true);
    assert.equal(useColour({ isTTY: false }, {}), false);
    assert.equal(useColour({}, {}), false);
  });

  test('never with NO_COLOR set to anything but the empty string (no-color.org)', () => {
    assert.equal(useColour({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(useColour({ isTTY: true }, { NO_COLOR: 'false' }), false);
    assert.equal(useColour({ isTTY: true }, { NO_COLOR: '' }), true);
  });
});

describe('progressLine', () => {
  test('says phase, files, pool, tasks and time left', () => {
    assert.equal(
      progressLine(running),
      '[running] 5 files, 5.0 MiB · pool steady, 2/3 nodes ready · ' +
        'tasks 2/5 done (2 running, 1 waiting) · 1 failed · about 8 s left',
    );
  });

  test('says how many tries were given again to tasks whose transfer failed', () => {
    const retried = structuredClone(running);
    retried.progress.tasks.retried = 2;
    assert.ok(
      progressLine(retried).includes('1 failed · 2 tried again · about 8 s left'),
      progressLine(retried),
    );
    assert.ok(!progressLine(running).includes('tried again'));
  });

  test('has no escape codes without colour, and the same words with it', () => {
    assert.ok(!progressLine(running, false).includes(ESC));
    const coloured = progressLine(running, true);
    assert.ok(coloured.includes(`${ESC}31m1 failed`), coloured);
    assert.ok(coloured.includes(`${ESC}36m[running]`), coloured);
    assert.equal(stripAnsi(coloured), progressLine(running, false));
  });

  test('shows the upload while files upload, from the heartbeat', () => {
    const line = progressLine({
      progress: progressOf('uploading', { allocationState: 'resizing' }),
      upload: { files: 5, filesDone: 3, skipped: 1, bytes: 5 << 20, bytesSent: 2 << 20 },
    });
    assert.equal(
      line,
      '[uploading] 5 files, 5.0 MiB · upload 3/5 files, 2.0 MiB sent (1 already stored) · ' +
        'pool resizing, 0/0 nodes ready',
    );
  });

  test('tasks added beside the upload, before the first count: how many so far', () => {
    const progress = progressOf('uploading', { total: 5 });
    const upload = { files: 5, filesDone: 3, skipped: 0, bytes: 5 << 20, bytesSent: 3 << 20 };
    assert.equal(
      progressLine({ progress, upload, tasksAdded: 3 }),
      '[uploading] 5 files, 5.0 MiB · upload 3/5 files, 3.0 MiB sent · tasks 3/5 added',
    );
    // Then while the pool is awaited, from the progress; once counted, the counts.
    assert.match(
      progressLine({ progress: progressOf('waiting-for-pool', { total: 5 }) }),
      /tasks 5\/5 added$/,
    );
    assert.match(
      progressLine({ progress: { ...progress, polls: 1 }, upload, tasksAdded: 5 }),
      /tasks 0\/5 done \(0 running, 0 waiting\)$/,
    );
  });

  test('no upload is shown when nothing uploads (inputs already in blob storage)', () => {
    assert.equal(
      progressLine({ progress: progressOf('uploading') }),
      '[uploading] 5 files, 5.0 MiB',
    );
  });

  test('says when a cleanup decision is needed, and what retries', () => {
    const line = progressLine({
      progress: progressOf('awaiting-cleanup-decision', { total: 5, counts: { completed: 5 } }),
      retrying: [{ activity: 'deleteJob', attempt: 3, message: 'Server busy\n  try again' }],
    });
    assert.match(line, /cleanup decision needed before 2026-01-01T00:30:00.000Z/);
    assert.match(line, /retrying deleteJob \(attempt 3: Server busy try again\)/);
  });
});

describe('statusLine (the live line of a TTY)', () => {
  test('has a bar of the tasks done, and fits the terminal', () => {
    const line = statusLine(running, { colour: false, width: 200 });
    assert.match(line, /^running {2}████████░{12} {2}5 files/);
    assert.ok(line.endsWith('about 8 s left'), line);
    for (const width of [40, 60, 80]) {
      const cut = statusLine(running, { colour: true, width });
      assert.ok(stripAnsi(cut).length < width, `${stripAnsi(cut).length} >= ${width}: ${cut}`);
    }
  });

  test('colours only when asked', () => {
    assert.ok(!statusLine(running, { colour: false, width: 120 }).includes(ESC));
    assert.ok(statusLine(running, { colour: true, width: 120 }).includes(ESC));
  });

  test('the upload has its own bar', () => {
    const line = statusLine(
      {
        progress: progressOf('uploading'),
        upload: { files: 5, filesDone: 5, skipped: 0, bytes: 100, bytesSent: 100 },
      },
      { colour: false, width: 120 },
    );
    assert.match(line, /^uploading {2}█{20} {2}/);
  });
});

test('a new line is worth printing when the facts change, not the clock', () => {
  const later: Snapshot = {
    ...running,
    etaMs: 7_000,
    progress: { ...running.progress, updatedAt: '2026-01-01T00:00:02.000Z', polls: 9 },
  };
  assert.equal(changeKey(later), changeKey(running));
  const moved: Snapshot = {
    ...running,
    progress: progressOf('running', { total: 5, counts: { completed: 3 } }),
  };
  assert.notEqual(changeKey(moved), changeKey(running));
});

test('durations and sizes read as a person says them', () => {
  assert.equal(roughDuration(400), '1 s');
  assert.equal(roughDuration(8_200), '8 s');
  assert.equal(roughDuration(59_400), '59 s');
  assert.equal(roughDuration(179_000), '3 min');
  assert.equal(roughDuration(200_000), '3 min 20 s');
  assert.equal(roughDuration(25 * 60_000), '25 min');
  assert.equal(roughDuration(2 * 3600_000 + 5 * 60_000), '2 h 5 min');
  assert.equal(roughDuration(3 * 3600_000), '3 h');
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(bytes(3 * 1024 ** 3), '3.0 GiB');
});

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
