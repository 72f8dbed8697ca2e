import assert from 'node:assert/strict';
import test from 'node:test';
import { cpusOf, splitCpus } from '../../bench/cpu-split';

test('a CPU list is read as the kernel writes it', () => {
  assert.deepEqual(cpusOf('0-1'), [0, 1]);
  assert.deepEqual(cpusOf('0,2-4,7'), [0, 2, 3, 4, 7]);
  assert.deepEqual(cpusOf('3'), [3]);
});

test('the nodes get the larger half of the CPUs, the stack the rest; one CPU cannot be split', () => {
  assert.deepEqual(splitCpus([0, 1]), { all: '0,1', stack: '0', nodes: '1' });
  assert.deepEqual(splitCpus([0, 1, 2]), { all: '0,1,2', stack: '0', nodes: '1,2' });
  assert.deepEqual(splitCpus([2, 3, 6, 7]), { all: '2,3,6,7', stack: '2,3', nodes: '6,7' });
  assert.equal(splitCpus([0]), undefined);
  assert.equal(splitCpus([]), undefined);
});
