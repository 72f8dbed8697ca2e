// The bench's medians and ratios: one definition for every section that takes turns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, ratio } from '../../bench/phases';

test('the median is the middle run whatever the order, the upper middle for an even count', () => {
  assert.equal(median([22.3, 18.4, 25.0]), 22.3);
  assert.equal(median([9.9, 11.1, 10.2, 10.8, 10.1]), 10.2);
  assert.equal(median([4, 1, 3, 2]), 3);
  const runs = [3, 1, 2];
  median(runs);
  assert.deepEqual(runs, [3, 1, 2], 'the runs keep their order');
});

test('a ratio is given to two decimals', () => {
  assert.equal(ratio(22_276, 18_439), 1.21);
  assert.equal(ratio(9_814, 9_112), 1.08);
});
