// An upload/download round trip through the real Azurite of the test stack, and what a
// SIGKILL of Azurite keeps.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { startAzurite } from '../src/stack/azurite';
import { freePort } from '../src/stack/ports';
import { testConfig } from './helpers/stack';

test('a blob uploaded to Azurite downloads byte for byte, with its MD5', async () => {
  const { storage } = await testConfig();
  const service = new BlobServiceClient(
    storage.blobUrl,
    new StorageSharedKeyCredential(storage.accountName, storage.accountKey!),
  );
  const container = service.getContainerClient(`roundtrip-${Date.now()}`);
  await container.create();
  try {
    const body = crypto.randomBytes(256 * 1024 + 7);
    const blob = container.getBlockBlobClient('dir/file name with spaces.bin');
    await blob.uploadData(body);
    const downloaded = await blob.downloadToBuffer();
    assert.ok(downloaded.equals(body), 'downloaded bytes differ');
    const props = await blob.getProperties();
    const md5 = crypto.createHash('md5').update(body).digest();
    assert.ok(props.contentMD5 && Buffer.from(props.contentMD5).equals(md5), 'MD5 not stored');
  } finally {
    await container.delete();
  }
});

// A SIGKILL must not lose a blob Azurite acknowledged (the fault suite kills the whole stack):
// writes, overwrites and deletes answered just before the kill are all there after a restart,
// also when the kill lands while the index is being saved (every 10 ms in the second case).
for (const indexSaveMs of [undefined, 10]) {
  test(`acknowledged writes survive a SIGKILL of Azurite (index saved every ${indexSaveMs ?? 5000} ms)`, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-kill-'));
    const port = await freePort();
    const expected = new Map<string, string>();
    try {
      // Two rounds of writes, each ended by a kill, then a last start that only checks.
      for (let round = 0; round <= 2; round++) {
        const azurite = await startAzurite({ dataDir, port, indexSaveMs });
        try {
          const container = new BlobServiceClient(
            azurite.blobUrl,
            new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey),
          ).getContainerClient('killed');
          await container.createIfNotExists();
          const stored = new Map<string, string>();
          for await (const blob of container.listBlobsFlat()) {
            const body = await container.getBlobClient(blob.name).downloadToBuffer();
            stored.set(blob.name, body.toString());
          }
          assert.deepEqual(stored, expected, `after kill ${round}`);
          if (round === 2) break;
          // 8 at a time: 100 new blobs, every 10th of the last round's deleted, every 10th rewritten.
          let next = 0;
          const writer = async () => {
            while (next < 100) {
              const i = next++;
              const name = `round-${round}/blob-${i}`;
              const body = `${name} ${crypto.randomUUID()}`;
              await container.getBlockBlobClient(name).upload(body, body.length);
              expected.set(name, body);
              const old = `round-${round - 1}/blob-${i}`;
              if (round > 0 && i % 10 === 0) {
                await container.deleteBlob(old);
                expected.delete(old);
              } else if (round > 0 && i % 10 === 5) {
                const again = `${old} again`;
                await container.getBlockBlobClient(old).upload(again, again.length);
                expected.set(old, again);
              }
            }
          };
          await Promise.all(Array.from({ length: 8 }, writer));
        } finally {
          if (azurite.child) process.kill(azurite.child.pid, 'SIGKILL');
          await azurite.stop();
        }
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
