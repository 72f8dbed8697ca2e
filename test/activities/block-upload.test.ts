// A big input whose upload is cancelled after some blocks: the retried attempt asks Azurite which
// blocks are staged, sends only the others, commits once, and the blob is the file, byte for byte.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAzureClients } from '../../src/azure-clients';
import { createStorageActivities, type TransferSummary } from '../../src/activities/storage';
import type { TransferHeartbeat } from '../../src/activities/storage/transfer';
import { testConfig } from '../helpers/stack';

const MIB = 1024 * 1024;
const FILE_BYTES = 64 * MIB;
const BLOCK_BYTES = MIB;
const BLOCKS = FILE_BYTES / BLOCK_BYTES;

test('uploadInputs: a big file cancelled halfway resumes, sending only the blocks not staged', async () => {
  const clients = createAzureClients(await testConfig());
  const storage = createStorageActivities({
    ...clients.storage,
    upload: { singleShotBytes: MIB, blockBytes: BLOCK_BYTES, blocksAtOnce: 4 },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'block-upload-'));
  const body = crypto.randomBytes(FILE_BYTES);
  fs.writeFileSync(path.join(dir, 'big.bin'), body);
  const md5 = crypto.createHash('md5').update(body).digest();
  const container = clients.storage.blobService.getContainerClient(`blocks-${Date.now()}`);
  await container.create(); // the run's containers step does this before the upload
  const blob = container.getBlockBlobClient('big.bin');
  const args = {
    dir,
    container: container.containerName,
    files: [{ blobName: 'big.bin', size: FILE_BYTES }],
  };
  try {
    // Attempt 1, cancelled once a third of the blocks are staged. The heartbeat is copied as
    // the worker would serialize it (the state object goes on changing).
    const first = new MockActivityEnvironment();
    let last: TransferHeartbeat | undefined;
    first.on('heartbeat', (details: TransferHeartbeat) => {
      last = structuredClone(details);
      if ((details.inProgress?.[0]?.staged ?? 0) >= BLOCKS / 3) first.cancel();
    });
    await assert.rejects(first.run(storage.uploadInputs.bind(storage), args));
    assert.ok(last?.inProgress?.length, 'attempt 1 heartbeated no block progress');
    assert.equal(await blob.exists(), false, 'attempt 1 committed the blob');
    const staged = (await blob.getBlockList('uncommitted')).uncommittedBlocks ?? [];
    assert.ok(
      staged.length >= BLOCKS / 3 && staged.length < BLOCKS,
      `${staged.length} blocks staged`,
    );

    // Attempt 2, from attempt 1's last heartbeat as Temporal would hand it over.
    const second = new MockActivityEnvironment({ heartbeatDetails: last });
    // Its first heartbeat with the file in progress says what it found staged, before sending.
    let found: TransferHeartbeat | undefined;
    second.on('heartbeat', (details: TransferHeartbeat) => {
      if (details.inProgress?.length) found ??= structuredClone(details);
    });
    const summary: TransferSummary = await second.run(storage.uploadInputs.bind(storage), args);
    assert.deepEqual([summary.transferred, summary.bytes], [1, FILE_BYTES]);
    // Blocks cut off by the cancel may still land after Azurite was asked: the retry finds at
    // least those listed, and sends exactly the rest.
    const foundStaged = found?.inProgress?.[0]?.staged ?? 0;
    assert.ok(foundStaged >= staged.length, `retry found ${foundStaged} of ${staged.length}`);
    assert.equal(found?.bytes, foundStaged * BLOCK_BYTES);
    const sentByRetry = (summary.sentBytes ?? 0) - (last.sentBytes ?? 0);
    assert.equal(sentByRetry, (BLOCKS - foundStaged) * BLOCK_BYTES, 'resent staged blocks');

    // Committed once, nothing uncommitted left, and the content is the file's.
    const list = await blob.getBlockList('all');
    assert.equal(list.committedBlocks?.length, BLOCKS);
    assert.equal(list.uncommittedBlocks?.length ?? 0, 0);
    const props = await blob.getProperties();
    assert.ok(props.contentMD5 && Buffer.from(props.contentMD5).equals(md5), 'MD5 not stored');
    const stored = await blob.downloadToBuffer();
    assert.ok(crypto.createHash('md5').update(stored).digest().equals(md5), 'content differs');

    // A third run finds it committed with the same MD5 and sends nothing.
    const third: TransferSummary = await new MockActivityEnvironment().run(
      storage.uploadInputs.bind(storage),
      args,
    );
    assert.deepEqual([third.transferred, third.skipped, third.sentBytes ?? 0], [0, 1, 0]);
  } finally {
    await container.deleteIfExists();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('uploadInputs: blocks left by another uploader, with ids of another length, are discarded', async () => {
  const clients = createAzureClients(await testConfig());
  const storage = createStorageActivities({
    ...clients.storage,
    upload: { singleShotBytes: MIB, blockBytes: MIB, blocksAtOnce: 2 },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'block-upload-'));
  const body = crypto.randomBytes(3 * MIB + 5);
  fs.writeFileSync(path.join(dir, 'big.bin'), body);
  const container = clients.storage.blobService.getContainerClient(`foreign-${Date.now()}`);
  await container.create();
  const blob = container.getBlockBlobClient('big.bin');
  // Azure (and Azurite) refuse a block whose id length differs from those already staged.
  await blob.stageBlock(Buffer.from('short').toString('base64'), 'leftover', 8);
  try {
    const summary: TransferSummary = await new MockActivityEnvironment().run(
      storage.uploadInputs.bind(storage),
      {
        dir,
        container: container.containerName,
        files: [{ blobName: 'big.bin', size: body.length }],
      },
    );
    assert.equal(summary.transferred, 1);
    const list = await blob.getBlockList('all');
    assert.deepEqual([list.committedBlocks?.length, list.uncommittedBlocks?.length ?? 0], [4, 0]);
    assert.ok((await blob.downloadToBuffer()).equals(body), 'content differs');
  } finally {
    await container.deleteIfExists();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
