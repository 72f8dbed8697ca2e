// The local stack library on its own free ports (separate from the stack the other tests share).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { startTestStack, type LocalStack } from '../../src/stack/stack';
import { startAzurite } from '../../src/stack/azurite';
import { startTemporal } from '../../src/stack/temporal';
import { freePort, PortInUseError } from '../../src/stack/ports';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local stack', () => {
  let dataDir: string;
  let stack: LocalStack;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-stack-'));
    stack = await startTestStack(dataDir);
  });

  after(async () => {
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('every service answers', async () => {
    const ui = await fetch(stack.temporal.uiUrl);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<html/i);
    const blob = BlobServiceClient.fromConnectionString(stack.azurite.connectionString);
    const props = await blob.getProperties();
    assert.ok(props.requestId, 'Azurite answered without a request id');
    assert.ok(stack.batch, 'the Batch emulator was not started');
    const health = await fetch(`${stack.batch.url}/_emulator/health`);
    assert.equal(((await health.json()) as { service: string }).service, 'azure-batch-emulator');
  });

  test('the Temporal state lives in a SQLite file in the data dir', () => {
    assert.ok(fs.existsSync(path.join(dataDir, 'temporal', 'temporal.db')));
  });

  test('a port held by another program is an error naming the port', async () => {
    const sockets = new Set<net.Socket>();
    const squatter = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined); // probes hang up abruptly; that is expected
      socket.end('not temporal\n');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        startTemporal({ dataDir, port, uiPort: await freePort(), reuse: true }),
        (err: unknown) =>
          err instanceof PortInUseError &&
          err.port === port &&
          new RegExp(`Port ${port} is held by another program`).test(err.message) &&
          /TEMPORAL_PORT=/.test(err.message),
      );
      await assert.rejects(
        startAzurite({ dataDir, port, reuse: true }),
        (err: unknown) => err instanceof PortInUseError && /AZURITE_BLOB_PORT/.test(err.message),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  test('a port held by a healthy instance of the same service is reused', async () => {
    const port = Number(new URL(stack.azurite.blobUrl).port);
    const reused = await startAzurite({ dataDir, port, reuse: true });
    assert.equal(reused.child, undefined, 'a reused Azurite must not be a new child');
    assert.equal(reused.blobUrl, stack.azurite.blobUrl);
  });

  test('stopping the stack leaves no process behind', async () => {
    const pids = [stack.temporal.child, stack.azurite.child, stack.batch?.child].map((c) => {
      assert.ok(c, 'service was not started as a child');
      return c.pid;
    });
    assert.ok(pids.every(isAlive), 'a service was not running before stop');
    await stack.stop();
    assert.deepEqual(pids.filter(isAlive), [], 'processes still alive after stop');
    await stack.stop(); // idempotent
  });
});
