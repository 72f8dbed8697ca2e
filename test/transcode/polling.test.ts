import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  firstPoolPollIntervalMs,
  nextPoolPollIntervalMs,
  nextTaskPollIntervalMs,
  planTranscode,
} from '../../src/transcode';
import { halvingPolicy, shippedPolicy, simulate } from '../../bench/polling-sim';

const bounds = { minIntervalMs: 250, maxIntervalMs: 15_000 };

test('task polls wait a quarter of the estimated time left', () => {
  const cases = [
    // 100 of 1,000 done in 10 s: 90 s left at that rate, a quarter is 22.5 s → capped at 15 s.
    { previous: [0, 0], current: [10_000, 100], total: 1000, expected: 15_000 },
    // 90 of 100 done, 10 per second: 1 s left → 250 ms.
    { previous: [0, 80], current: [1000, 90], total: 100, expected: 250 },
    // 40 left at 5 per second: 8 s → 2 s.
    { previous: [0, 10], current: [2000, 20], total: 60, expected: 2000 },
  ];
  for (const { previous, current, total, expected } of cases) {
    const interval = nextTaskPollIntervalMs({
      previousIntervalMs: 1000,
      previous: { atMs: previous[0], completed: previous[1] },
      current: { atMs: current[0], completed: current[1] },
      total,
      bounds,
    });
    assert.equal(interval, expected, JSON.stringify({ previous, current, total }));
  }
});

test('task polls back off x1.5 while nothing completes, within the bounds', () => {
  const idle = (previousIntervalMs: number, previous?: { atMs: number; completed: number }) =>
    nextTaskPollIntervalMs({
      previousIntervalMs,
      previous,
      current: { atMs: 5000, completed: 3 },
      total: 10,
      bounds,
    });
  assert.equal(idle(1000), 1500, 'first poll of a run: no rate yet');
  assert.equal(idle(1000, { atMs: 4000, completed: 3 }), 1500);
  assert.equal(idle(12_000, { atMs: 4000, completed: 3 }), 15_000);
  assert.equal(idle(100, { atMs: 4000, completed: 3 }), 250, 'never below the minimum');
});

test('pool polls start at 250 ms (or a higher minimum) and grow x1.5 up to the maximum', () => {
  assert.equal(firstPoolPollIntervalMs(bounds), 250);
  assert.equal(firstPoolPollIntervalMs({ minIntervalMs: 50, maxIntervalMs: 15_000 }), 250);
  assert.equal(firstPoolPollIntervalMs({ minIntervalMs: 5000, maxIntervalMs: 15_000 }), 5000);
  assert.equal(firstPoolPollIntervalMs({ minIntervalMs: 50, maxIntervalMs: 100 }), 100);
  assert.equal(nextPoolPollIntervalMs(250, bounds), 375);
  assert.equal(nextPoolPollIntervalMs(14_000, bounds), 15_000);
});

test('defaults: 0.25 s to 15 s between polls, continue-as-new at 400 events', () => {
  const plan = planTranscode('wf-1', { input: { localDir: '/in' } }, 'run-1');
  assert.deepEqual(
    [plan.polling.minIntervalMs, plan.polling.maxIntervalMs, plan.polling.maxHistoryEvents],
    [250, 15_000, 400],
  );
});

test('on a steady 10-minute run the ETA rule polls less and sees the end sooner', () => {
  // 10,000 tasks completing at a constant rate over 600 s.
  const curve = [
    { atMs: 0, completed: 0 },
    { atMs: 600_000, completed: 10_000 },
  ];
  const eta = simulate('eta', curve, 10_000, shippedPolicy(250, 15_000), 250);
  const halving = simulate('halving', curve, 10_000, halvingPolicy(1000, 15_000), 1000);
  assert.ok(eta.polls < halving.polls, `ETA ${eta.polls} polls vs halving ${halving.polls}`);
  assert.ok(eta.polls <= 120, `ETA rule polled ${eta.polls} times`);
  assert.ok(
    eta.detectionLagMs <= 250,
    `the ETA rule saw the end ${eta.detectionLagMs} ms after it happened`,
  );
});

test('no wait is longer than a tenth of the time the tasks have been running', () => {
  const at = (ms: number, runningSinceMs: number, previousIntervalMs = 10_000) =>
    nextTaskPollIntervalMs({
      previousIntervalMs,
      previous: { atMs: ms - 1000, completed: 0 },
      current: { atMs: ms, completed: 0 },
      total: 5,
      bounds,
      runningSinceMs,
    });
  assert.equal(at(2000, 0), 250, 'two seconds in: the minimum');
  assert.equal(at(20_000, 0), 2000, 'twenty seconds in: two');
  assert.equal(at(400_000, 0), 15_000, 'never above the maximum');
  assert.equal(at(20_000, 10_000), 1000, 'counted from when the tasks could start');
});

/** A completion curve from [time, completed] points. */
const curve = (...points: Array<[number, number]>) =>
  points.map(([atMs, completed]) => ({ atMs, completed }));

/** The shapes the issue names, each replayed under the shipped rule. */
test('the end is seen soon on short runs, long tails and steady streams, with few polls', () => {
  const curves = {
    // Five tasks that all finish together after 1.7 s (the tutorial on five nodes).
    together: curve([0, 0], [1699, 0], [1700, 5]),
    // The same after 30 s: without the bound the idle backoff reached 15 s and saw it 12.5 s late.
    togetherLater: curve([0, 0], [29_999, 0], [30_000, 5]),
    // 95 of 100 in the first minute, the last five straggling until 5 minutes.
    longTail: curve([0, 0], [60_000, 95], [300_000, 100]),
    // 10,000 tasks at a constant rate over 10 minutes.
    steady: curve([0, 0], [600_000, 10_000]),
  };
  const totals = { together: 5, togetherLater: 5, longTail: 100, steady: 10_000 };
  const outcomes = Object.fromEntries(
    Object.entries(curves).map(([name, curve]) => [
      name,
      simulate(name, curve, totals[name as keyof typeof totals], shippedPolicy(250, 15_000), 250),
    ]),
  );
  assert.ok(outcomes.together.detectionLagMs <= 250, JSON.stringify(outcomes.together));
  assert.ok(outcomes.togetherLater.detectionLagMs <= 3500, JSON.stringify(outcomes.togetherLater));
  assert.ok(outcomes.longTail.detectionLagMs <= 15_000, JSON.stringify(outcomes.longTail));
  assert.ok(outcomes.longTail.polls <= 100, JSON.stringify(outcomes.longTail));
  assert.ok(outcomes.steady.detectionLagMs <= 250, JSON.stringify(outcomes.steady));
  assert.ok(outcomes.steady.polls <= 120, JSON.stringify(outcomes.steady));
});
