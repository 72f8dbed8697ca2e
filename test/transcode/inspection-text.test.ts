// What the inspection of an input folder found besides the inputs, in words: said when
// something was left out or a link followed, and nothing otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectionOf, inspectionText } from '../../src/transcode';

const plain = inspectionOf(5);

test('only the inputs: nothing to say', () => {
  assert.equal(inspectionText(plain), undefined);
});

test('what was left out, each kind once, broken links by name (the first five)', () => {
  const broken = ['a.mp4', 'b.mp4', 'c.mp4', 'd.mp4', 'e.mp4', 'f.mp4'];
  assert.equal(
    inspectionText({
      ...plain,
      entries: 20,
      notMatching: 3,
      folders: 2,
      otherEntries: 1,
      brokenLinks: broken,
    }),
    '20 entries; left out: 3 of other names, 2 folder(s) (not searched), ' +
      '6 broken link(s) (a.mp4, b.mp4, c.mp4, d.mp4, e.mp4), 1 other (sockets, devices, pipes)',
  );
});

test('links followed, and those leading out of the folder by name', () => {
  assert.equal(
    inspectionText({ ...plain, linksFollowed: 2, linksOutside: ['x.mp4 → /mnt/x.mp4'] }),
    '5 entries; 2 link(s) followed (out of the folder: x.mp4 → /mnt/x.mp4)',
  );
});
