import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  emptyCounts,
  isTaskWatchBeat,
  pacingAfter,
  waitBeforeNextPollMs,
  watchEnd,
  type TaskCounts,
  type TaskWatch,
} from '../../src/transcode';

const watch: TaskWatch = {
  jobId: 'job',
  total: 10,
  failureLimit: 2,
  deadlineMs: 100_000,
  runningSinceMs: 0,
  returnByMs: 60_000,
  bounds: { minIntervalMs: 250, maxIntervalMs: 15_000 },
  pacing: { polls: 0, intervalMs: 250 },
};

const counts = (c: Partial<TaskCounts>): TaskCounts => ({ ...emptyCounts(), ...c });

test('the watch keeps polling while nothing asks the workflow to act', () => {
  assert.equal(watchEnd(watch, counts({ active: 4, running: 2, completed: 4 }), 10_000), undefined);
});

test('the watch hands back at the end, on too many failures, at the deadline and the lap', () => {
  assert.equal(watchEnd(watch, counts({ completed: 10, succeeded: 10 }), 1_000), 'completed');
  // Failures first: a run whose every task failed is stopped, not counted as done.
  assert.equal(watchEnd(watch, counts({ completed: 10, failed: 3 }), 1_000), 'too-many-failures');
  assert.equal(watchEnd(watch, counts({ completed: 9, failed: 2 }), 1_000), undefined);
  assert.equal(watchEnd(watch, counts({ running: 5 }), 100_000), 'deadline');
  assert.equal(watchEnd(watch, counts({ running: 5 }), 60_000), 'lap');
});

test('an owned pool: the watch hands back once fewer nodes would hold the running tasks', () => {
  const owned = { ...watch, shrink: { slotsPerNode: 2, nodes: 3 } };
  // Tasks still wait: every node is wanted.
  assert.equal(watchEnd(owned, counts({ active: 1, running: 2 }), 1_000), undefined);
  // 5 running on 2 slots per node need 3 nodes: nothing to shrink.
  assert.equal(watchEnd(owned, counts({ running: 5, completed: 5 }), 1_000), undefined);
  assert.equal(watchEnd(owned, counts({ running: 3, completed: 7 }), 1_000), 'pool-can-shrink');
  // Not again for the running count the pool was last fitted to, but once it drops.
  const fitted = { ...owned, shrink: { ...owned.shrink, fittedAtRunning: 3 } };
  assert.equal(watchEnd(fitted, counts({ running: 3, completed: 7 }), 1_000), undefined);
  assert.equal(watchEnd(fitted, counts({ running: 1, completed: 9 }), 1_000), 'pool-can-shrink');
});

test('each poll counts, and the pacing follows the shipped interval rule', () => {
  const first = pacingAfter(watch, watch.pacing, { atMs: 1_000, completed: 0 });
  assert.equal(first.polls, 1);
  assert.deepEqual(first.last, { atMs: 1_000, completed: 0 });
  // Nothing completed yet: x1.5 would be 375 ms, but a tenth of 1 s running is below the minimum.
  assert.equal(first.intervalMs, 250);
  const second = pacingAfter(watch, first, { atMs: 5_000, completed: 5 });
  assert.equal(second.polls, 2);
  // 5 done in 4 s, 5 left: a quarter of the 4 s left, under a tenth of 5 s running.
  assert.equal(second.intervalMs, 500);
});

test('the wait before the next poll stops at the deadline and the lap', () => {
  const pacing = { polls: 3, intervalMs: 10_000 };
  assert.equal(waitBeforeNextPollMs(watch, pacing, 10_000), 10_000);
  assert.equal(waitBeforeNextPollMs(watch, pacing, 55_000), 5_000);
  assert.equal(waitBeforeNextPollMs({ ...watch, deadlineMs: 12_000 }, pacing, 10_000), 2_000);
  assert.equal(waitBeforeNextPollMs(watch, pacing, 70_000), 0);
});

test('a heartbeat is recognised only with its counts and pacing', () => {
  assert.ok(isTaskWatchBeat({ counts: emptyCounts(), pacing: { polls: 2, intervalMs: 250 } }));
  assert.ok(!isTaskWatchBeat({ counts: emptyCounts() }));
  assert.ok(!isTaskWatchBeat({ added: 5 }));
  assert.ok(!isTaskWatchBeat(undefined));
});
