// An upload/download round trip through the real Azurite of the test stack.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { testConfig } from './helpers/stack';

test('a blob uploaded to Azurite downloads byte for byte, with its MD5', async () => {
  const { storage } = await testConfig();
  const service = new BlobServiceClient(
    storage.blobUrl,
    new StorageSharedKeyCredential(storage.accountName, storage.accountKey),
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
