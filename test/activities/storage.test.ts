// The storage activities against the real Azurite of the test stack.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAzureClients } from '../../src/azure-clients';
import {
  createStorageActivities,
  OUTPUTS_LISTED,
  type TransferSummary,
} from '../../src/activities/storage';
import type { ManifestInspection } from '../../src/activities/storage/inspect';
import { testConfig } from '../helpers/stack';

test('verifyOutputs counts every output but lists only the first 100 by name', async () => {
  const clients = createAzureClients(await testConfig());
  const storage = createStorageActivities(clients.storage);
  const container = clients.storage.blobService.getContainerClient(`verify-${Date.now()}`);
  await container.create();
  try {
    const stored = Array.from({ length: 130 }, (_, i) => `out-${String(i).padStart(3, '0')}.mp3`);
    await Promise.all(stored.map((name, i) => container.uploadBlockBlob(name, 'x'.repeat(i), i)));
    const verified = await storage.verifyOutputs({
      container: container.containerName,
      names: [...stored, 'never-made.mp3'],
    });
    assert.equal(verified.count, 130);
    assert.equal(
      verified.bytes,
      stored.reduce((sum, _, i) => sum + i, 0),
    );
    assert.equal(verified.first.length, OUTPUTS_LISTED);
    assert.deepEqual(verified.first[5], { name: 'out-005.mp3', size: 5 });
    assert.deepEqual(verified.missing, ['never-made.mp3']);
  } finally {
    await container.delete();
  }
});

test('uploadInputs: small files stored with the MD5 Azurite computes; a second run sends nothing', async () => {
  const clients = createAzureClients(await testConfig());
  const storage = createStorageActivities(clients.storage);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-'));
  const files = Array.from({ length: 12 }, (_, i) => {
    const body = crypto.randomBytes(1000 + i);
    fs.writeFileSync(path.join(dir, `clip-${i}.bin`), body);
    return {
      blobName: `clip-${i}.bin`,
      size: body.length,
      md5: crypto.createHash('md5').update(body).digest(),
    };
  });
  const container = clients.storage.blobService.getContainerClient(`upload-${Date.now()}`);
  await container.create(); // the run's containers step does this before the upload
  const env = new MockActivityEnvironment();
  const args = {
    dir,
    container: container.containerName,
    files: files.map(({ blobName, size }) => ({ blobName, size })),
  };
  const upload = (): Promise<TransferSummary> => env.run(storage.uploadInputs.bind(storage), args);
  try {
    const first = await upload();
    assert.deepEqual([first.transferred, first.skipped], [12, 0]);
    for (const file of files) {
      const props = await container.getBlockBlobClient(file.blobName).getProperties();
      assert.ok(
        props.contentMD5 && Buffer.from(props.contentMD5).equals(file.md5),
        `${file.blobName}: no MD5 stored`,
      );
    }
    // One file changed: only that one goes again.
    fs.writeFileSync(path.join(dir, 'clip-3.bin'), crypto.randomBytes(1003));
    const second = await upload();
    assert.deepEqual([second.transferred, second.skipped, second.bytes], [1, 11, 1003]);
  } finally {
    await container.deleteIfExists();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inspectInputToManifest says whether the output container already holds outputs', async () => {
  const clients = createAzureClients(await testConfig());
  const storage = createStorageActivities(clients.storage);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-outputs-'));
  fs.writeFileSync(path.join(dir, 'a.dat'), 'a');
  const container = clients.storage.blobService.getContainerClient(`inspect-out-${Date.now()}`);
  const env = new MockActivityEnvironment();
  const inspect = (): Promise<ManifestInspection> =>
    env.run(() =>
      storage.inspectInputToManifest({
        source: { kind: 'local', dir, pattern: '*.dat' },
        extension: 'out',
        manifest: {
          container: container.containerName,
          blobName: '_runs/inspect/inputs.jsonl.gz',
        },
      }),
    );
  try {
    // No container yet, then one holding the runs' own files only: nothing stored.
    assert.equal((await inspect()).outputsStored, false);
    await container.uploadBlockBlob('_runs/another-run/inputs.jsonl.gz', 'x', 1);
    assert.equal((await inspect()).outputsStored, false);
    // Any other blob, at the top or in a folder, may be an output to reuse.
    await container.uploadBlockBlob('sub/a.out', 'x', 1);
    assert.equal((await inspect()).outputsStored, true);
    await container.deleteBlob('sub/a.out');
    await container.uploadBlockBlob('a.out', 'x', 1);
    assert.equal((await inspect()).outputsStored, true);
  } finally {
    await container.deleteIfExists();
  }
});
