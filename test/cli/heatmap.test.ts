// The terminal's heatmap, pure: node states grouped as the portal colours them, rows of one
// square per node cut to the terminal's width, a legend with counts, and the live TTY line
// that draws it underneath and erases it at the next redraw.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { heatmapLines, legend, nodeCategory } from '../../src/cli/heatmap';
import { stripAnsi } from '../../src/cli/format';
import { TtyRenderer, type Output } from '../../src/cli/watch';
import { progressOf } from './progress-fixture';

const pool = (...states: Array<[string, number]>) =>
  states.flatMap(([state, n]) => Array.from({ length: n }, () => ({ state })));

describe('heatmap', () => {
  test('states fall into the portal’s categories, whatever their case', () => {
    assert.equal(nodeCategory('running'), 'running');
    assert.equal(nodeCategory('Idle'), 'idle');
    for (const s of ['creating', 'starting', 'waitingForStartTask', 'rebooting', 'reimaging']) {
      assert.equal(nodeCategory(s), 'starting', s);
    }
    assert.equal(nodeCategory('startTaskFailed'), 'failed');
    assert.equal(nodeCategory('unusable'), 'failed');
    assert.equal(nodeCategory('preempted'), 'preempted');
    assert.equal(nodeCategory('leavingPool'), 'other');
  });

  test('ten nodes: one row of squares and a legend with each state’s count', () => {
    const nodes = pool(['running', 6], ['idle', 3], ['preempted', 1]);
    const lines = heatmapLines(nodes, { colour: false, width: 80 });
    assert.deepEqual(lines, [
      'nodes ██████▒▒▒▼',
      '      10 nodes: █ 6 running  ▒ 3 idle  ▼ 1 preempted',
    ]);
  });

  test('colour: each square in its state’s colour; without colour no escape codes', () => {
    const nodes = pool(['running', 1], ['starttaskfailed', 1]);
    const [row] = heatmapLines(nodes, { colour: true, width: 80 });
    assert.equal(row, 'nodes \u001b[36m█\u001b[0m\u001b[31m✖\u001b[0m');
    assert.ok(!legend(nodes, false).includes('\u001b'));
  });

  test('rows never pass the width; past the row limit the rest is counted', () => {
    const nodes = pool(['idle', 250]);
    const lines = heatmapLines(nodes, { colour: false, width: 40, maxRows: 3 });
    assert.equal(lines.length, 4);
    for (const line of lines.slice(0, 3)) assert.ok(line.length < 40, line);
    assert.match(lines[2], /\+\d+ more$/);
    const shown = lines.slice(0, 3).join('').replace(/[^▒]/g, '').length;
    assert.equal(shown + Number(/\+(\d+) more/.exec(lines[2])![1]), 250);
    assert.deepEqual(heatmapLines([], { colour: false, width: 40 }), []);
  });

  test('the TTY line draws the heatmap under it, returns to it, and erases it next time', () => {
    const chunks: string[] = [];
    const out: Output = { write: (c: string) => chunks.push(c), isTTY: true, columns: 100 };
    const tty = new TtyRenderer(out, false);
    const progress = progressOf('running', { total: 4, counts: { running: 2, completed: 2 } });
    tty.show({ progress, nodes: pool(['running', 2], ['idle', 1]).map(withId) });
    tty.show({ progress, nodes: pool(['running', 1], ['preempted', 1]).map(withId) });
    tty.end();
    const [first, second] = chunks;
    // eslint-disable-next-line no-control-regex
    assert.match(first, /^\r\u001b\[2Krunning .*\nnodes ██▒\n {6}3 nodes: .*\u001b\[2A\r$/);
    // The second draw clears to the end of the screen first: no square of the first stays.
    assert.ok(second.startsWith('\r\u001b[2K\u001b[0J'), JSON.stringify(second));
    assert.match(stripAnsi(second), /nodes █▼/);
    // The end moves below the heatmap, so it stays on screen.
    assert.equal(chunks.at(-1), '\u001b[2B\n');
  });
});

function withId(node: { state: string }, i: number) {
  return { ...node, id: `tvm-${i}`, dedicated: false, runningTasks: [] };
}
