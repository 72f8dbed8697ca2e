// Progress lines: what they say, with and without colour, and when colour is allowed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bytes,
  changeKey,
  progressLine,
  roughDuration,
  statusLine,
  stripAnsi,
  useColour,
  type Snapshot,
} from '../../src/cli/format';
import { progressOf } from './progress-fixture';

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
