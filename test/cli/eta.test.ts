// The estimate of the time left for the tasks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtaEstimator } from '../../src/cli/eta';

test('no estimate until a task completes while watching', () => {
  const eta = new EtaEstimator();
  assert.equal(eta.estimate(0, 10, 0), undefined);
  assert.equal(eta.estimate(0, 10, 5_000), undefined);
  // Started watching with 3 done: those say nothing about the rate.
  const late = new EtaEstimator();
  assert.equal(late.estimate(3, 10, 0), undefined);
  assert.equal(late.estimate(3, 10, 4_000), undefined);
});

test('the rate since the first sample gives the time left', () => {
  const eta = new EtaEstimator();
  eta.estimate(0, 10, 0);
  assert.equal(eta.estimate(2, 10, 10_000), 40_000); // 2 per 10 s, 8 left
  assert.equal(eta.estimate(5, 10, 20_000), 20_000); // 5 per 20 s, 5 left
});

test('while nothing completes the estimate grows with the wait', () => {
  const eta = new EtaEstimator();
  eta.estimate(0, 10, 0);
  const a = eta.estimate(2, 10, 10_000)!;
  const b = eta.estimate(2, 10, 20_000)!;
  assert.ok(b > a, `${b} <= ${a}`);
  assert.equal(b, 80_000);
});

test('no estimate once every task has completed', () => {
  const eta = new EtaEstimator();
  eta.estimate(0, 4, 0);
  assert.equal(eta.estimate(4, 4, 8_000), undefined);
});

test('a long run is estimated from its recent speed, not its start', () => {
  const eta = new EtaEstimator(60_000);
  eta.estimate(0, 1000, 0);
  // Slow at first: 10 tasks in 5 minutes...
  for (let t = 30_000; t <= 300_000; t += 30_000) eta.estimate(t / 30_000, 1000, t);
  // ...then 100 per minute.
  let left: number | undefined;
  for (let t = 310_000, done = 10; t <= 430_000; t += 10_000) {
    done += 100 / 6;
    left = eta.estimate(Math.round(done), 1000, t);
  }
  assert.ok(left !== undefined);
  // About 790 tasks left at 100/min: roughly 8 minutes, far from the 4 hours the start suggests.
  assert.ok(left > 6 * 60_000 && left < 11 * 60_000, `estimate ${left} ms`);
});

test('a smaller count than before (another run) starts over', () => {
  const eta = new EtaEstimator();
  eta.estimate(0, 10, 0);
  eta.estimate(5, 10, 10_000);
  assert.equal(eta.estimate(1, 10, 11_000), undefined);
  assert.equal(eta.estimate(3, 10, 15_000), 14_000); // 2 per 4 s, 7 left
});
