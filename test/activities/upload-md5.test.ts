// A local file is hashed once: the selection records its MD5 with the file's size and
// modification time, and the upload trusts that MD5 only while both still match. A recorded MD5
// that is deliberately wrong shows which MD5 the upload used.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ContainerClient } from '@azure/storage-blob';
import { createAzureClients } from '../../src/azure-clients';
import {
  createStorageActivities,
  type Selection,
  type StorageClients,
  type TransferSummary,
} from '../../src/activities/storage';
import type { InputFile } from '../../src/transcode';
import { testConfig } from '../helpers/stack';

const WRONG_MD5 = crypto.createHash('md5').update('not this file').digest('base64');

const md5Of = (body: Buffer) => crypto.createHash('md5').update(body).digest('base64');

function stampOf(file: string) {
  const stats = fs.statSync(file);
  return { size: stats.size, mtimeMs: stats.mtimeMs };
}

describe('the MD5 read by the selection, reused by the upload', () => {
  let clients: StorageClients;
  let dir: string;
  const containers: ContainerClient[] = [];
  const env = new MockActivityEnvironment();

  before(async () => {
    clients = createAzureClients(await testConfig()).storage;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-md5-'));
  });

  after(async () => {
    await Promise.all(containers.map((c) => c.deleteIfExists()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function newContainer(tag: string): ContainerClient {
    const container = clients.blobService.getContainerClient(`md5-${tag}-${Date.now()}`);
    containers.push(container);
    return container;
  }

  function writeFile(name: string, bytes: number): { file: InputFile; body: Buffer } {
    const body = crypto.randomBytes(bytes);
    fs.writeFileSync(path.join(dir, name), body);
    return { file: { blobName: name, size: bytes }, body };
  }

  async function storedMd5(container: ContainerClient, name: string): Promise<string> {
    const props = await container.getBlockBlobClient(name).getProperties();
    return Buffer.from(props.contentMD5 ?? []).toString('base64');
  }

  test('the selection records each local file’s MD5 with its size and mtime; kept while they match', async () => {
    const storage = createStorageActivities(clients);
    const { file, body } = writeFile('select.bin', 4000);
    const select = (files: InputFile[]): Promise<Selection> =>
      env.run(storage.selectInputsToConvert.bind(storage), {
        source: { kind: 'local' as const, dir, pattern: '*' },
        outputContainer: newContainer('select-out').containerName,
        extension: 'out',
        recipe: 'r',
        force: true,
        // A copy, as if it had crossed the wire: the selection fills in the files it is given.
        files: structuredClone(files),
      });
    const first = (await select([file])).files ?? [];
    const local = path.join(dir, file.blobName);
    assert.deepEqual(first, [{ ...file, md5: md5Of(body), md5Stamp: stampOf(local) }]);

    // Unchanged: a recorded MD5 is kept (a wrong one shows that the file was not read again).
    const kept = (await select([{ ...first[0], md5: WRONG_MD5 }])).files ?? [];
    assert.equal(kept[0].md5, WRONG_MD5);

    // Without a stamp (a manifest from before stamps) or with another mtime: read again.
    const unstamped = (await select([{ ...file, md5: WRONG_MD5 }])).files ?? [];
    assert.equal(unstamped[0].md5, md5Of(body));
    const changed = crypto.randomBytes(4000);
    fs.writeFileSync(local, changed);
    fs.utimesSync(local, new Date(), new Date(Date.now() + 5000));
    const reread = (await select([{ ...first[0] }])).files ?? [];
    assert.equal(reread[0].md5, md5Of(changed));
    assert.deepEqual(reread[0].md5Stamp, stampOf(local));
  });

  test('small files: a blob stored with the recorded MD5 is skipped, unless the file changed since', async () => {
    const storage = createStorageActivities(clients);
    const container = newContainer('small');
    const { file, body } = writeFile('small.bin', 3000);
    const local = path.join(dir, file.blobName);
    await container.create(); // the run's containers step does this before the upload
    const upload = (files: InputFile[]): Promise<TransferSummary> =>
      env.run(storage.uploadInputs.bind(storage), {
        dir,
        container: container.containerName,
        files: structuredClone(files),
      });
    assert.equal((await upload([file])).transferred, 1);
    assert.equal(await storedMd5(container, file.blobName), md5Of(body));

    // The same MD5 recorded: skipped.
    const recorded = { ...file, md5: md5Of(body), md5Stamp: stampOf(local) };
    assert.equal((await upload([recorded])).skipped, 1);
    // Another MD5 recorded for the file as it is: trusted, so the file goes again.
    assert.equal((await upload([{ ...recorded, md5: WRONG_MD5 }])).transferred, 1);
    // The stored MD5 is the service's, from the bytes sent, not the recorded one.
    assert.equal(await storedMd5(container, file.blobName), md5Of(body));
    // A wrong MD5 with a stamp the file no longer has, or with none: the file is hashed again.
    const stale = { ...recorded, md5: WRONG_MD5, md5Stamp: { ...recorded.md5Stamp } };
    stale.md5Stamp.mtimeMs -= 1000;
    assert.equal((await upload([stale])).skipped, 1);
    assert.equal((await upload([{ ...file, md5: WRONG_MD5 }])).skipped, 1);
  });

  test('big files: the blocks and the committed MD5 come from the recorded MD5 while it holds', async () => {
    const storage = createStorageActivities({
      ...clients,
      upload: { singleShotBytes: 64 * 1024, blockBytes: 64 * 1024 },
    });
    const { file, body } = writeFile('big.bin', 200 * 1024);
    const local = path.join(dir, file.blobName);
    const upload = async (
      container: ContainerClient,
      files: InputFile[],
    ): Promise<TransferSummary> => {
      // The run's containers step creates the container before the upload.
      await container.createIfNotExists();
      return env.run(storage.uploadInputs.bind(storage), {
        dir,
        container: container.containerName,
        files: structuredClone(files),
      });
    };
    const recorded = { ...file, md5: WRONG_MD5, md5Stamp: stampOf(local) };
    const trusted = newContainer('big-trusted');
    assert.equal((await upload(trusted, [recorded])).transferred, 1);
    assert.equal(await storedMd5(trusted, file.blobName), WRONG_MD5);

    fs.utimesSync(local, new Date(), new Date(Date.now() + 5000));
    const reread = newContainer('big-reread');
    assert.equal((await upload(reread, [recorded])).transferred, 1);
    assert.equal(await storedMd5(reread, file.blobName), md5Of(body));
    // And with the blob stored: skipped after hashing the file, whatever was recorded.
    assert.equal((await upload(reread, [recorded])).skipped, 1);
  });
});
