// Loki (Azurite's blob index) keeps each binary index (for blobs: accountName, containerName, name,
// snapshot) as the documents' data positions sorted by that field. Its update re-places the
// document in every index with a linear scan and two splices, so each Set Blob Metadata or lease
// change cost grew with the blobs stored (an emulation cost: Azure's does not). An update leaves
// the document at its data position, so when its indexed value is the one it was placed by, its
// place is still right and is kept. The value each document was placed by is recorded at each
// index insert, update and rebuild; a document with none recorded (loaded from disk) takes Loki's
// own path once.
'use strict';

/** @param {{ Collection: { prototype: Record<string, Function> } }} Loki */
function keepIndexPlacesOnUpdate(Loki) {
  const proto = Loki.Collection.prototype;
  /** @type {WeakMap<object, Map<string, Map<number, unknown>>>} per collection, per index */
  const placedBy = new WeakMap();

  const recordsOf = (coll, name) => {
    let byIndex = placedBy.get(coll);
    if (!byIndex) placedBy.set(coll, (byIndex = new Map()));
    let records = byIndex.get(name);
    if (!records) byIndex.set(name, (records = new Map()));
    return records;
  };
  // Dotted index names (a nested field) are left to Loki.
  const plain = (name) => !name.includes('.');
  const record = (coll, position, name) => {
    const doc = coll.data[position];
    if (doc && plain(name)) recordsOf(coll, name).set(doc.$loki, doc[name]);
  };

  const insert = proto.adaptiveBinaryIndexInsert;
  proto.adaptiveBinaryIndexInsert = function (position, name) {
    const result = insert.call(this, position, name);
    record(this, position, name);
    return result;
  };

  const update = proto.adaptiveBinaryIndexUpdate;
  proto.adaptiveBinaryIndexUpdate = function (position, name) {
    const doc = this.data[position];
    const index = this.binaryIndices[name];
    if (doc && index && !index.dirty && plain(name)) {
      const records = recordsOf(this, name);
      if (records.has(doc.$loki) && records.get(doc.$loki) === doc[name]) return undefined;
    }
    const result = update.call(this, position, name);
    record(this, position, name);
    return result;
  };

  const remove = proto.adaptiveBinaryIndexRemove;
  proto.adaptiveBinaryIndexRemove = function (positions, name, ...rest) {
    const records = recordsOf(this, name);
    for (const position of Array.isArray(positions) ? positions : [positions]) {
      const doc = this.data[position];
      if (doc) records.delete(doc.$loki);
    }
    return remove.call(this, positions, name, ...rest);
  };

  const ensureIndex = proto.ensureIndex;
  proto.ensureIndex = function (name, force) {
    const before = this.binaryIndices[name];
    const result = ensureIndex.call(this, name, force);
    const after = this.binaryIndices[name];
    // Rebuilt: every document was placed by its current value.
    if (after && after !== before && !after.dirty && plain(name)) {
      const records = recordsOf(this, name);
      records.clear();
      for (const doc of this.data) records.set(doc.$loki, doc[name]);
    }
    return result;
  };

  const clear = proto.clear;
  proto.clear = function (...args) {
    placedBy.delete(this);
    return clear.apply(this, args);
  };
}

module.exports = { keepIndexPlacesOnUpdate };
