// A storage server closing a kept-alive connection as the next request goes out: the request is
// lost before the server saw it, and the node agent's storage client sends it again. The server
// here answers each connection's first request and drops the connection on its second.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uploadOutputFiles } from '../src/runtime/output-files';
import { downloadResourceFiles } from '../src/runtime/resource-files';
import { taskDirs } from '../src/runtime/node-layout';

describe('a kept-alive storage connection closed under a request', () => {
  let server: Server;
  let base = '';
  let dropped = 0;
  let received = 0;
  const dir = mkdtempSync(join(tmpdir(), 'stale-socket-'));
  const sockets = new Set<Socket>();

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      let requests = 0;
      let buffered = '';
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        if (++requests > 1) {
          dropped++;
          socket.destroy();
          return;
        }
        received++;
        const status = head.startsWith('PUT') ? '201 Created' : '200 OK';
        socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    assert(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => {
    // Kept-alive connections would keep the test process alive.
    for (const socket of sockets) socket.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads and uploads every file, sending the lost request again', async () => {
    const signal = new AbortController().signal;
    const wd = join(dir, 'in');
    await downloadResourceFiles(
      [1, 2, 3].map((i) => ({ httpUrl: `${base}/c/in-${i}`, filePath: `in-${i}` })),
      wd,
      signal,
    );
    assert.equal(readFileSync(join(wd, 'in-3'), 'utf8'), 'ok');

    const dirs = taskDirs(join(dir, 'node'), 'job', 'task');
    mkdirSync(dirs.workingDir, { recursive: true });
    for (const i of [1, 2, 3]) writeFileSync(join(dirs.workingDir, `out-${i}`), 'data');
    await uploadOutputFiles(
      [1, 2, 3].map((i) => ({
        filePattern: `out-${i}`,
        destination: { container: { containerUrl: `${base}/c?sv=x`, path: `out-${i}` } },
        uploadOptions: { uploadCondition: 'tasksuccess' },
      })),
      'success',
      dirs,
      join(dir, 'node'),
      signal,
    );
    assert.equal(received, 6, 'three downloads and three uploads reached the server');
    assert(dropped > 0, 'the server dropped a kept-alive connection under a request');
  });
});
