// Azurite's blob index (LokiJS) with the launcher's update shortcut: an update that leaves a
// document's indexed values keeps its places, one that changes them re-places it, and every index
// stays consistent through inserts, updates, removals and rebuilds.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { keepIndexPlacesOnUpdate } from '../../src/stack/loki-index-update.cjs';

interface Blob {
  $loki?: number;
  containerName: string;
  name: string;
  metadata?: Record<string, string>;
}
interface Collection {
  insert(doc: Blob): Blob;
  update(doc: Blob): Blob;
  remove(doc: Blob): void;
  findOne(query: Partial<Blob>): Blob | null;
  find(query: Partial<Blob>): Blob[];
  checkIndex(name: string): boolean;
  ensureIndex(name: string, force?: boolean): void;
  adaptiveBinaryIndexUpdate: (this: Collection, position: number, name: string) => void;
}
type LokiClass = new (name: string) => {
  addCollection(name: string, options: { indices: string[] }): Collection;
};

// The LokiJS Azurite itself loads.
const requireFromAzurite = createRequire(require.resolve('azurite/dist/src/blob/main.js'));
const Loki = requireFromAzurite('lokijs') as LokiClass & {
  Collection: { prototype: Collection };
};
// Counts the runs of Loki's own (linear-scan) index update, which the shortcut falls back to.
let lokiUpdates = 0;
const lokiUpdate = Loki.Collection.prototype.adaptiveBinaryIndexUpdate;
Loki.Collection.prototype.adaptiveBinaryIndexUpdate = function (position, name) {
  lokiUpdates += 1;
  return lokiUpdate.call(this, position, name);
};
keepIndexPlacesOnUpdate(Loki);

function lokiUpdatesDuring(body: () => void): number {
  const before = lokiUpdates;
  body();
  return lokiUpdates - before;
}

function blobs(count: number): Collection {
  const coll = new Loki(path.join('memory', 'index-test')).addCollection('blobs', {
    indices: ['containerName', 'name'],
  });
  for (let i = 0; i < count; i++) {
    coll.insert({
      containerName: i % 2 ? 'out' : 'in',
      name: `clip-${String(i).padStart(4, '0')}`,
    });
  }
  return coll;
}

const consistent = (coll: Collection) =>
  assert.ok(
    coll.checkIndex('containerName') && coll.checkIndex('name'),
    'an index is out of order',
  );

test('a metadata update keeps the index places and the finds still answer', () => {
  const coll = blobs(200);
  const lokiRuns = lokiUpdatesDuring(() => {
    for (const doc of coll.find({ containerName: 'out' })) {
      doc.metadata = { recipe: 'r1' };
      coll.update(doc);
    }
  });
  assert.equal(lokiRuns, 0, 'an update that left the indexed values still re-placed documents');
  consistent(coll);
  assert.equal(coll.find({ containerName: 'out' }).length, 100);
  assert.deepEqual(coll.findOne({ name: 'clip-0013' })?.metadata, { recipe: 'r1' });
});

test('an update that changes an indexed value re-places the document', () => {
  const coll = blobs(50);
  const doc = coll.findOne({ name: 'clip-0007' })!;
  doc.name = 'zzz-last';
  // Re-placed in the name index only.
  assert.equal(
    lokiUpdatesDuring(() => coll.update(doc)),
    1,
  );
  consistent(coll);
  assert.equal(coll.findOne({ name: 'zzz-last' })?.$loki, doc.$loki);
  assert.equal(coll.findOne({ name: 'clip-0007' }), null);
  // A replaced object (another object with the same $loki) is compared by its values too.
  coll.update({ ...doc, name: 'aaa-first' });
  consistent(coll);
  assert.equal(coll.findOne({ name: 'aaa-first' })?.$loki, doc.$loki);
});

test('removals and a rebuild leave every index consistent for later updates', () => {
  const coll = blobs(100);
  for (const doc of coll.find({ containerName: 'in' }).slice(0, 20)) coll.remove(doc);
  coll.ensureIndex('name', true);
  for (const doc of coll.find({ containerName: 'out' })) {
    doc.metadata = { stamped: 'yes' };
    coll.update(doc);
  }
  const moved = coll.findOne({ name: 'clip-0099' })!;
  moved.containerName = 'archive';
  // The name index was rebuilt after the removals: its places are known without Loki's scan.
  assert.equal(
    lokiUpdatesDuring(() => coll.update(moved)),
    1,
  );
  consistent(coll);
  assert.equal(coll.find({ containerName: 'in' }).length, 30);
  assert.equal(coll.find({ containerName: 'archive' }).length, 1);
});
