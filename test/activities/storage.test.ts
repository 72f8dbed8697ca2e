// The storage activities against the real Azurite of the test stack.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAzureClients } from '../../src/clients';
import { createStorageActivities, OUTPUTS_LISTED } from '../../src/activities/storage';
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
