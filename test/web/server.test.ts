// The live page's server on its own (a fixed view, actions recorded): who may call it. On
// loopback only pages of its own address (Host and Origin checked, JSON-only actions, so another
// site can neither read the run nor press its buttons); with a token, nothing without it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import type { RunView } from '../../src/web/monitor';
import { serveRunPage, type RunPageServer, type ViewSource } from '../../src/web/server';

const view: RunView = {
  workflowId: 'wf-1',
  ended: false,
  refreshes: 1,
  refreshedAt: new Date(0).toISOString(),
  refreshMs: 1000,
};

const source: ViewSource = {
  current: () => view,
  subscribe: (fn) => {
    fn(view);
    return () => true;
  },
  poke: () => Promise.resolve(),
};

const sent: string[] = [];
const actions = {
  approveCleanup: (keep: { keepJob: boolean; keepPool: boolean }) => {
    sent.push(`approve ${JSON.stringify(keep)}`);
    return Promise.resolve('approved');
  },
  cancel: (reason: string) => {
    sent.push(`cancel ${reason}`);
    return Promise.resolve('cancelled');
  },
};

/** A raw request, so that Host and Origin are exactly what a test says. */
function call(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('live page server', () => {
  const servers: RunPageServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  test('loopback: its own pages only; actions take JSON', async () => {
    const server = await serveRunPage(source, actions, { host: '127.0.0.1', port: 0 });
    servers.push(server);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await call(server.url, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<div id="heatmap"/);
    const state = await call(server.url, '/api/state');
    assert.equal((JSON.parse(state.body) as RunView).workflowId, 'wf-1');
    // DNS rebinding: a foreign name resolving to 127.0.0.1.
    const rebound = await call(server.url, '/api/state', { headers: { host: 'evil.example:80' } });
    assert.equal(rebound.status, 403);
    const json = { 'content-type': 'application/json' };
    const foreign = await call(server.url, '/api/cancel', {
      method: 'POST',
      headers: { ...json, origin: 'http://evil.example' },
      body: '{"reason":"x"}',
    });
    assert.equal(foreign.status, 403);
    const form = await call(server.url, '/api/cancel', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=x',
    });
    assert.equal(form.status, 415);
    assert.deepEqual(sent, [], 'nothing sent by refused calls');
    const ok = await call(server.url, '/api/approve-cleanup', {
      method: 'POST',
      headers: json,
      body: '{"keepPool":true}',
    });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(sent, ['approve {"keepJob":false,"keepPool":true}']);
  });

  test('with a token: nothing without it, everything with it', async () => {
    const token = 'a-long-enough-secret-token';
    const server = await serveRunPage(source, actions, { host: '127.0.0.1', port: 0, token });
    servers.push(server);
    assert.ok(server.url.endsWith(`/?token=${token}`));
    assert.equal((await call(server.url, '/api/state?token=wrong')).status, 403);
    assert.equal((await call(server.url.replace(/\?.*/, ''), '/')).status, 403);
    assert.equal((await call(server.url, `/api/state?token=${token}`)).status, 200);
    const header = await call(server.url, '/api/state', { headers: { 'x-token': token } });
    assert.equal(header.status, 200);
  });
});
