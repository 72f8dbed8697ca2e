// The record of what made an output, and the rule that reuses it (pure: no stack needed).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import {
  etagIdentity,
  isReusable,
  partitionByRecord,
  recipeHash,
  recordFromMetadata,
  recordMetadata,
  sha256Hex,
  TUTORIAL_DEFAULTS,
} from '../../src/transcode';

test('sha256Hex matches Node crypto, ASCII to astral, across block boundaries', () => {
  for (const text of [
    '',
    'abc',
    'a'.repeat(55),
    'b'.repeat(56),
    'c'.repeat(64),
    'é→😀 {input}'.repeat(9),
  ]) {
    assert.equal(sha256Hex(text), crypto.createHash('sha256').update(text, 'utf8').digest('hex'));
  }
});

test('the recipe changes with the command or the extension, not with its case', () => {
  const base = recipeHash(TUTORIAL_DEFAULTS.commandTemplate, 'mp3');
  assert.equal(base, recipeHash(TUTORIAL_DEFAULTS.commandTemplate, 'MP3'));
  assert.notEqual(base, recipeHash(TUTORIAL_DEFAULTS.commandTemplate, 'wav'));
  assert.notEqual(base, recipeHash(`${TUTORIAL_DEFAULTS.commandTemplate} -b:a 64k`, 'mp3'));
});

test('a record survives metadata, names compared case-insensitively; partial ones do not', () => {
  const record = { inputMd5: 'q83vEjRWeJA=', recipe: 'ab12' };
  assert.deepEqual(recordFromMetadata(recordMetadata(record)), record);
  assert.deepEqual(
    recordFromMetadata({ DurableBatchInputMd5: record.inputMd5, DURABLEBATCHRECIPE: 'ab12' }),
    record,
  );
  assert.equal(recordFromMetadata({ durablebatchinputmd5: 'x' }), undefined);
  assert.equal(recordFromMetadata(undefined), undefined);
});

test('reused only with the same input and recipe; unknown inputs are converted', () => {
  const wanted = { inputMd5: 'm1', recipe: 'r1' };
  assert.equal(isReusable(wanted, wanted), true);
  assert.equal(isReusable({ ...wanted, inputMd5: 'm2' }, wanted), false);
  assert.equal(isReusable({ ...wanted, recipe: 'r2' }, wanted), false);
  assert.equal(isReusable(undefined, wanted), false);
  const files = ['same', 'changed', 'missing', 'unknown'];
  const { convert, reused } = partitionByRecord(
    files,
    (f) =>
      f === 'unknown' ? undefined : { inputMd5: f === 'changed' ? 'new' : 'old', recipe: 'r' },
    (f) => (f === 'missing' ? undefined : { inputMd5: 'old', recipe: 'r' }),
  );
  assert.deepEqual(reused, ['same']);
  assert.deepEqual(convert, ['changed', 'missing', 'unknown']);
});

test('a blob without Content-MD5 is named by its etag and size', () => {
  assert.equal(etagIdentity('"0x8DC1"', 42), 'etag:0x8DC1;size:42');
});
