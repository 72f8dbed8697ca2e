// The outputs' records after a run: an output uploaded with its record (addTasks asks Batch to
// store it with the upload) is left as it is, found by one listing; the others are written one
// call each, and an output that is gone is counted missing. The check the stamp makes first (does
// one output carry its record?) too. Against the test stack's Azurite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ContainerClient } from '@azure/storage-blob';
import { createAzureClients } from '../../src/azure-clients';
import {
  hasRecord,
  stampRecords as stampRecordsNow,
  type StorageClients,
} from '../../src/activities/storage';
import { recordFromMetadata, recordMetadata } from '../../src/transcode';
import { testConfig } from '../helpers/stack';

const RECIPE = 'recipe-now';

/** As in the stampOutputs activity: it heartbeats, so it needs an activity's context. */
const stampRecords = (...args: Parameters<typeof stampRecordsNow>) =>
  new MockActivityEnvironment().run(stampRecordsNow, ...args);

describe('stamping the outputs of a run', () => {
  let clients: StorageClients;
  let container: ContainerClient;

  before(async () => {
    clients = createAzureClients(await testConfig()).storage;
    container = clients.blobService.getContainerClient(`stamp-${Date.now()}`);
    await container.create();
  });

  after(async () => {
    await container.deleteIfExists();
  });

  const put = (name: string, metadata?: Record<string, string>) =>
    container.getBlockBlobClient(name).uploadData(Buffer.from(name), { metadata });

  const etagOf = async (name: string) => (await container.getBlobClient(name).getProperties()).etag;

  test('records only the outputs that do not carry this record already', async () => {
    await put('recorded.mp3', recordMetadata({ inputMd5: 'md5-a', recipe: RECIPE }));
    await put('bare.mp3');
    await put('older.mp3', recordMetadata({ inputMd5: 'md5-c', recipe: 'recipe-before' }));
    const recordedEtag = await etagOf('recorded.mp3');

    const result = await stampRecords(clients, container.containerName, RECIPE, [
      { outputBlob: 'recorded.mp3', inputMd5: 'md5-a' },
      { outputBlob: 'bare.mp3', inputMd5: 'md5-b' },
      { outputBlob: 'older.mp3', inputMd5: 'md5-c' },
      { outputBlob: 'gone.mp3', inputMd5: 'md5-d' },
    ]);

    assert.deepEqual(result, { stamped: 2, alreadyRecorded: 1, missing: 1, checkedBy: 'listing' });
    // Not written again: Set Blob Metadata would have changed its etag.
    assert.equal(await etagOf('recorded.mp3'), recordedEtag);
    for (const [name, inputMd5] of [
      ['bare.mp3', 'md5-b'],
      ['older.mp3', 'md5-c'],
    ]) {
      const { metadata } = await container.getBlobClient(name).getProperties();
      assert.deepEqual(recordFromMetadata(metadata), { inputMd5, recipe: RECIPE }, name);
    }
    assert.equal(await container.getBlobClient('gone.mp3').exists(), false);
  });

  test('an output carries its record only when input and recipe both match', async () => {
    await put('first.mp3', recordMetadata({ inputMd5: 'md5-1', recipe: RECIPE }));
    await put('plain.mp3');
    const has = (outputBlob: string, inputMd5: string, recipe = RECIPE) =>
      hasRecord(clients, container.containerName, recipe, { outputBlob, inputMd5 });
    assert.equal(await has('first.mp3', 'md5-1'), true);
    assert.equal(await has('first.mp3', 'md5-other'), false, 'another input');
    assert.equal(await has('first.mp3', 'md5-1', 'recipe-other'), false, 'another recipe');
    // A Batch that dropped the upload headers: no record, so the stamp lists every output.
    assert.equal(await has('plain.mp3', 'md5-p'), false, 'no record');
    assert.equal(await has('gone.mp3', 'md5-g'), false, 'gone');
  });

  test('a container that does not exist: every output is missing, nothing fails', async () => {
    const result = await stampRecords(clients, `stamp-none-${Date.now()}`, RECIPE, [
      { outputBlob: 'a.mp3', inputMd5: 'md5-a' },
    ]);
    assert.deepEqual(result, { stamped: 0, alreadyRecorded: 0, missing: 1, checkedBy: 'listing' });
  });
});
