// Starts Azurite's blob service with a journal beside its blob index, so that a SIGKILL loses no
// acknowledged write (Azure Storage never loses one) without rewriting the whole index often.
//
// Azurite keeps its index in LokiJS (two databases: blobs and extents) and saves each one whole
// on a 5 s timer, so a SIGKILL loses every blob acknowledged in the last 5 s. Saving it every
// 20 ms narrowed that window (a kill right after a burst of writes still lost a few) at a CPU
// cost that grew with the blobs stored. Here every change is
// appended to `<db>.journal` before the answer leaves: Loki's own dirty-id tracking (meant for
// incremental adapters) names the changed documents, and each is written as one JSON line (its
// latest state, or its removal) with a synchronous write, flushed from ServerResponse#writeHead,
// which every answer goes through. The whole-database save stays on Azurite's 5 s timer (spaced
// out as the index grows, see SAVE_COST_FACTOR) and only compacts: it renames the journal to
// `<db>.journal.1`, saves, then deletes that file. On load, `.journal.1` then `.journal` are
// replayed over the saved database. Replaying an entry that the database already holds is
// harmless: each journal holds every change since it was started, in order, so the last line for
// a document is its latest state.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const azuriteMain = require.resolve('azurite/dist/src/blob/main.js');
// The same LokiJS module instance Azurite will load.
const Loki = require(require.resolve('lokijs', { paths: [path.dirname(azuriteMain)] }));
require('./loki-index-update.cjs').keepIndexPlacesOnUpdate(Loki);

// How often the whole index is saved (compacting the journal); Azurite's own default, 5 s.
const saveIntervalMs = Number(process.env.AZURITE_INDEX_SAVE_MS) || 5000;

/** @type {Map<object, Journal>} one per Loki database saved to a file */
const journals = new Map();

class Journal {
  constructor(db) {
    this.db = db;
    /** @type {number | undefined} */
    this.fd = undefined;
  }

  get file() {
    return `${this.db.filename}.journal`;
  }

  get rotated() {
    return `${this.file}.1`;
  }

  /** Appends the latest state of every document changed since the last flush. */
  flush() {
    let lines = '';
    for (const coll of this.db.collections) {
      const ids = coll.dirtyIds;
      if (!ids || ids.length === 0) continue;
      coll.dirtyIds = [];
      for (const id of new Set(ids)) {
        const doc = coll.get(id);
        lines += `${JSON.stringify(doc ? { c: coll.name, d: doc } : { c: coll.name, r: id })}\n`;
      }
    }
    if (!lines) return;
    if (this.fd === undefined) this.fd = fs.openSync(this.file, 'a');
    // Synchronous, so the change is in the kernel (which outlives a SIGKILL) before the answer.
    fs.writeSync(this.fd, lines);
  }

  /** Before a whole save: later changes go to a fresh journal. */
  rotate() {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    // A `.1` left by a failed save still holds older changes: keep it, and keep appending to the
    // current journal, which then also started before this save.
    if (fs.existsSync(this.rotated)) return;
    try {
      fs.renameSync(this.file, this.rotated);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }

  /** After a whole save: the rotated journal's changes are all in the saved file. */
  dropRotated() {
    fs.rmSync(this.rotated, { force: true });
  }

  /** Applies `.journal.1` then `.journal` to the database just loaded. */
  replay() {
    const changes = new Map(); // collection name -> [['d', doc] | ['r', id]]
    let count = 0;
    for (const file of [this.rotated, this.file]) {
      let text;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if (err.code === 'ENOENT') continue;
        throw err;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // a write cut short by the kill: its request was never answered
        }
        if (!changes.has(entry.c)) changes.set(entry.c, []);
        changes.get(entry.c).push(entry.d ? ['d', entry.d] : ['r', entry.r]);
        count++;
      }
    }
    for (const [name, list] of changes) {
      const coll = this.db.getCollection(name);
      if (!coll) continue; // every collection exists in the first save, before any journal
      const byId = new Map(coll.data.map((doc) => [doc.$loki, doc]));
      for (const [kind, value] of list) {
        if (kind === 'd') byId.set(value.$loki, value);
        else byId.delete(value);
      }
      coll.data = [...byId.values()].sort((a, b) => a.$loki - b.$loki);
      for (const id of byId.keys()) coll.maxId = Math.max(coll.maxId, id);
      coll.idIndex = null;
      coll.ensureId();
      for (const field of coll.uniqueNames) coll.ensureUniqueIndex(field);
      coll.ensureAllIndexes(true);
      coll.dirty = true;
    }
    if (count > 0) console.log(`azurite-launcher: replayed ${count} change(s) from ${this.file}`);
  }
}

function flushAll() {
  for (const journal of journals.values()) journal.flush();
}

const configureOptions = Loki.prototype.configureOptions;
Loki.prototype.configureOptions = function (options, initialConfig) {
  const journaled = options && options.persistenceMethod === 'fs' && options.autosave;
  const result = configureOptions.call(
    this,
    journaled ? { ...options, autosaveInterval: saveIntervalMs } : options,
    initialConfig,
  );
  if (journaled) {
    // Loki then records the ids of changed documents in each collection's dirtyIds.
    this.isIncremental = true;
    journals.set(this, new Journal(this));
  }
  return result;
};

const loadDatabase = Loki.prototype.loadDatabase;
Loki.prototype.loadDatabase = function (options, callback) {
  const journal = journals.get(this);
  if (!journal) return loadDatabase.call(this, options, callback);
  return loadDatabase.call(this, options, (err) => {
    if (!err) {
      for (const coll of this.collections) coll.isIncremental = true;
      try {
        journal.replay();
      } catch (replayErr) {
        err = replayErr;
      }
    }
    if (callback) callback(err);
  });
};

// A whole save serializes every blob's document, so its cost grows with the blobs stored (past
// a hundred thousand it took most of a core at the 5 s pace). The journal already holds every
// change, so after a save the timer's next ones are skipped (Loki's `ignoreAutosave`) until this
// many times its duration has passed; a save on close still runs at once.
const SAVE_COST_FACTOR = 20;

const saveDatabaseInternal = Loki.prototype.saveDatabaseInternal;
Loki.prototype.saveDatabaseInternal = function (callback) {
  const journal = journals.get(this);
  if (!journal) return saveDatabaseInternal.call(this, callback);
  const startedAt = Date.now();
  try {
    journal.flush();
    journal.rotate();
  } catch (err) {
    if (callback) callback(err);
    return undefined;
  }
  // The 'fs' adapter serializes synchronously here, then writes a temp file and renames it.
  return saveDatabaseInternal.call(this, (err) => {
    const pauseMs = (SAVE_COST_FACTOR - 1) * (Date.now() - startedAt) - saveIntervalMs;
    if (pauseMs > 0) {
      this.ignoreAutosave = true;
      setTimeout(() => (this.ignoreAutosave = false), pauseMs).unref();
    }
    if (!err) journal.dropRotated();
    if (callback) callback(err);
    else if (err) throw err;
  });
};

// Changes made outside a request (Azurite's extent clean-up) reach the journal soon after.
let flushQueued = false;
const queueFlush = () => {
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(() => {
    flushQueued = false;
    flushAll();
  });
};
for (const method of ['add', 'update', 'remove', 'removeBatchByPositions']) {
  const original = Loki.Collection.prototype[method];
  Loki.Collection.prototype[method] = function (...args) {
    const result = original.apply(this, args);
    if (this.isIncremental) queueFlush();
    return result;
  };
}

// Every answer's status line goes through writeHead (res.write/end call it implicitly).
const writeHead = http.ServerResponse.prototype.writeHead;
http.ServerResponse.prototype.writeHead = function (...args) {
  try {
    flushAll();
  } catch (err) {
    // Not journaled means not acknowledged: drop the connection instead of answering.
    console.error(`azurite-launcher: journal write failed: ${String(err)}`);
    this.socket?.destroy();
  }
  return writeHead.apply(this, args);
};

// Azurite matches every request against each operation's URI template, parsing each template
// again every time; the parsed templates are pure, so parse each one once.
const uriTemplatesPath = require.resolve('uri-templates', { paths: [path.dirname(azuriteMain)] });
const UriTemplate = require(uriTemplatesPath);
const parsedTemplates = new Map();
require.cache[uriTemplatesPath].exports = Object.assign(function (template) {
  let parsed = parsedTemplates.get(template);
  if (!parsed) parsedTemplates.set(template, (parsed = UriTemplate(template)));
  return parsed;
}, UriTemplate);

require(azuriteMain);
