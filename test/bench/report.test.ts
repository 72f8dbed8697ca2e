// The bench's figure shape: a value against its target, never a stand-in for a missing value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sizesFor } from '../../bench/options';
import {
  NOT_MEASURED,
  figure,
  figuresOf,
  targetsOf,
  targetText,
  valueText,
  type SectionResults,
} from '../../bench/report';

test('a value is compared with its target by the figure’s operator', () => {
  assert.equal(figure(0.74, '<=', 0.8).met, true);
  assert.equal(figure(0.81, '<=', 0.8).met, false);
  assert.equal(figure(0.9, '>=', 0.9).met, true);
  assert.equal(figure(0.89, '>=', 0.9).met, false);
  assert.equal(figure(0, '=', 0).met, true);
  assert.equal(figure(1, '=', 0).met, false);
  assert.deepEqual(figure(42, 'reported', null, { unit: 'MB' }), {
    value: 42,
    target: null,
    op: 'reported',
    met: true,
    unit: 'MB',
  });
});

test('a missing or non-finite value is null, not met, and says it was not measured', () => {
  for (const value of [undefined, null, Number.NaN, Number.POSITIVE_INFINITY]) {
    const f = figure(value, '<=', 0.1);
    assert.equal(f.value, null);
    assert.equal(f.met, false);
    assert.equal(f.note, NOT_MEASURED);
  }
  // Even a figure that is only reported is not met without a value.
  assert.equal(figure(undefined, 'reported', null).met, false);
  assert.equal(valueText(figure(undefined, '<=', 0.1)), 'null (not measured)');
  assert.equal(targetText(figure(207, '<=', 300, { unit: 'MB' })), '<= 300 MB');
});

test('every promised figure is there with its target, even when no section ran', () => {
  const quick = figuresOf({ quick: true }, sizesFor(true));
  const full = figuresOf({ quick: false }, sizesFor(false));
  for (const key of [
    'p2.ratio',
    'p1.ratio',
    'p3.tasks',
    'p3.requestsPerPoll',
    'p3.historyEvents',
    'p3.largestPayloadBytes',
    'p3.workerPeakRssMb',
    'p4.resumedResentFraction',
    'p5.runs',
    'p5.workerPeakRssMb',
  ] as const) {
    assert.equal(quick[key].value, null, key);
    assert.equal(quick[key].met, false, key);
    assert.equal(quick[key].note, 'section not run', key);
  }
  assert.equal(full['p3.tasks'].target, 100_000);
  assert.equal(quick['p3.tasks'].target, 10_000);
  assert.equal(full['p5.runs'].target, 100);
  assert.deepEqual(
    [full['p2.ratio'].target, full['p1.ratio'].target, full['p5.workerPeakRssMb'].target],
    [0.8, 1.25, 500],
  );
  assert.equal(full['p3.largestPayloadBytes'].target, 256 * 1024);
});

test('P4’s resumed upload is not measured until its section reports it, and then compared', () => {
  const sizes = sizesFor(false);
  const p4 = { ratio: 1, resentBytes: 0 } as unknown as SectionResults['p4'];
  const before = figuresOf({ quick: false, p4 }, sizes)['p4.resumedResentFraction'];
  assert.deepEqual([before.value, before.met, before.note], [null, false, NOT_MEASURED]);
  const withIt = { ...p4, resumedResentFraction: 0.04 } as unknown as SectionResults['p4'];
  const after = figuresOf({ quick: false, p4: withIt }, sizes)['p4.resumedResentFraction'];
  assert.deepEqual([after.value, after.met], [0.04, true]);
  assert.equal(figuresOf({ quick: false, p4 }, sizes)['p4.ratio'].met, true);
});

test('the quick P5 says it started fewer runs; all met only when every figure is', () => {
  const sizes = sizesFor(true);
  const p5 = { completed: sizes.p5.runs, workerPeakRssMb: 320 } as unknown as SectionResults['p5'];
  const summary = targetsOf({ quick: true, p5 }, sizes);
  assert.equal(summary.figures['p5.runs'].met, true);
  assert.match(summary.figures['p5.runs'].note ?? '', /quick run: \d+ runs/);
  assert.equal(summary.met['p5.workerPeakRssMb'], true);
  assert.equal(summary.targets['p5.workerPeakRssMb'], '<= 500 MB');
  assert.equal(summary.allMet, false); // the other sections did not run
});

test('a section that failed gives null figures that say why', () => {
  const figures = figuresOf(
    { quick: true, failed: { p1: 'run ended partially-failed' } },
    sizesFor(true),
  );
  assert.equal(figures['p1.ratio'].value, null);
  assert.equal(figures['p1.ratio'].met, false);
  assert.equal(figures['p1.ratio'].note, 'section failed: run ended partially-failed');
  assert.equal(figures['p2.ratio'].note, 'section not run');
});
