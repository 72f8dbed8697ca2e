// Clients the SDK tests do not cover: one that signs exactly as the REST reference describes, one
// for each GA api-version, and slow or vanishing ones.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SUPPORTED_API_VERSIONS, type BatchEmulator } from '../src/index';
import { propertyKnownIn } from '../src/wire/api-versions';
import { batchClient, poolSpec, removeDir, sleep, startTestEmulator, waitFor } from './helpers';

/**
 * SharedKey exactly as "Authenticate requests to the Azure Batch service" describes it, written
 * from the page and not from the emulator's code:
 *   StringToSign = VERB \n Content-Encoding \n Content-Language \n Content-Length \n Content-MD5 \n
 *     Content-Type \n Date \n If-Modified-Since \n If-Match \n If-None-Match \n
 *     If-Unmodified-Since \n Range \n CanonicalizedHeaders CanonicalizedResource
 *   CanonicalizedHeaders: every ocp-* header, name lower-cased, sorted, `name:value\n`.
 *   CanonicalizedResource: `/account` + the encoded path, then per query parameter: names
 *     lower-cased, sorted, name and value URL-decoded, `\nname:value`, the values of a repeated
 *     name sorted and comma-separated.
 *   Signature = Base64(HMAC-SHA256(Base64Decode(key), UTF-8(StringToSign))).
 */
function documentedAuthorization(
  account: string,
  key: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
): string {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const standard = [
    'content-encoding',
    'content-language',
    'content-length',
    'content-md5',
    'content-type',
    'date',
    'if-modified-since',
    'if-match',
    'if-none-match',
    'if-unmodified-since',
    'range',
  ].map((name) => `${h[name] ?? ''}\n`);
  const ocp = Object.keys(h)
    .filter((name) => name.startsWith('ocp-'))
    .sort()
    .map((name) => `${name}:${h[name]}\n`);
  const params = new Map<string, string[]>();
  for (const pair of url.search.slice(1).split('&').filter(Boolean)) {
    const [rawName, rawValue = ''] = pair.split('=');
    const name = decodeURIComponent(rawName).toLowerCase();
    params.set(name, [...(params.get(name) ?? []), decodeURIComponent(rawValue)]);
  }
  const query = [...params.keys()]
    .sort()
    .map((name) => `\n${name}:${params.get(name)!.sort().join(',')}`);
  const toSign = `${method}\n${standard.join('')}${ocp.join('')}/${account}${url.pathname}${query.join('')}`;
  const signature = createHmac('sha256', Buffer.from(key, 'base64'))
    .update(toSign, 'utf8')
    .digest('base64');
  return `SharedKey ${account}:${signature}`;
}

/** A request signed by the documented algorithm; `search` is the query string as sent. */
async function documentedRequest(
  emu: BatchEmulator,
  method: string,
  path: string,
  search: string,
  body?: unknown,
): Promise<{ status: number; json: () => Record<string, unknown> }> {
  const url = new URL(`${path}?${search}`, emu.url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { 'ocp-date': new Date().toUTCString() };
  if (text !== undefined) {
    headers['Content-Type'] = 'application/json; odata=minimalmetadata';
    headers['Content-Length'] = String(Buffer.byteLength(text));
  }
  headers.Authorization = documentedAuthorization(
    emu.accountName,
    emu.accountKey,
    method,
    url,
    headers,
  );
  const res = await fetch(url, { method, headers, body: text });
  const raw = await res.text();
  return { status: res.status, json: () => JSON.parse(raw) as Record<string, unknown> };
}

/** What a raw socket received until the server closed it (or `waitMs` passed). */
function readUntilClosed(
  socket: Socket,
  waitMs: number,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    const timer = setTimeout(() => resolve({ text, closed: false }), waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => undefined);
  });
}

/** Opens a connection and sends a signed POST /jobs head announcing more body than it sends. */
async function stalledJobAdd(emu: BatchEmulator, sent: string, announced: number): Promise<Socket> {
  const url = new URL('/jobs?api-version=2025-06-01', emu.url);
  const headers: Record<string, string> = {
    'ocp-date': new Date().toUTCString(),
    'Content-Type': 'application/json; odata=minimalmetadata',
    'Content-Length': String(announced),
  };
  headers.Authorization = documentedAuthorization(
    emu.accountName,
    emu.accountKey,
    'POST',
    url,
    headers,
  );
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(
    `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${head}\r\n${sent}`,
  );
  return socket;
}

describe('a client signing as the REST reference documents', () => {
  let emu: BatchEmulator;

  before(async () => {
    emu = await startTestEmulator();
    const client = batchClient(emu);
    await client.pool.add(poolSpec('doc-a'));
    await client.pool.add(poolSpec('doc-b'));
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('lists with maxResults=1 (upper-case query names): 200, one pool and a next link', async () => {
    const res = await documentedRequest(
      emu,
      'GET',
      '/pools',
      'api-version=2025-06-01&maxResults=1',
    );
    assert.equal(res.status, 200, JSON.stringify(res.json()));
    const body = res.json();
    assert.equal((body.value as unknown[]).length, 1);
    assert.ok(body['odata.nextLink'], 'maxResults was honoured: there is a next page');
  });

  it('signs repeated and mixed-case names, a timeOut and a $select', async () => {
    const res = await documentedRequest(
      emu,
      'GET',
      '/pools',
      'api-version=2024-07-01.20.0&%24select=id&timeOut=30&MaxResults=1&maxresults=2',
    );
    assert.equal(res.status, 200, JSON.stringify(res.json()));
    const ids = (res.json().value as { id: string }[]).map((p) => p.id);
    assert.deepEqual(ids, ['doc-a'], 'the first of the two maxresults values is the one read');
  });

  it('adds a job with a body (POST, Content-Type and Content-Length signed)', async () => {
    const res = await documentedRequest(emu, 'POST', '/jobs', 'api-version=2025-06-01&timeOut=30', {
      id: 'doc-job',
      poolInfo: { poolId: 'doc-a' },
    });
    assert.equal(res.status, 201);
  });

  it('refuses a wrong key with 403 AuthenticationFailed', async () => {
    const url = new URL('/pools?api-version=2025-06-01&maxResults=1', emu.url);
    const headers: Record<string, string> = { 'ocp-date': new Date().toUTCString() };
    const wrongKey = Buffer.from('not the key').toString('base64');
    headers.Authorization = documentedAuthorization(emu.accountName, wrongKey, 'GET', url, headers);
    const res = await fetch(url, { headers });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'AuthenticationFailed');
  });
});

describe('every GA api-version', () => {
  let emu: BatchEmulator;

  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('serves GET /pools under each of the 13 and counts requests per version', async () => {
    assert.equal(SUPPORTED_API_VERSIONS.length, 13);
    for (const v of SUPPORTED_API_VERSIONS) {
      const res = await documentedRequest(emu, 'GET', '/pools', `api-version=${v}`);
      assert.equal(res.status, 200, v);
    }
    const stats = emu.stats();
    for (const v of SUPPORTED_API_VERSIONS) assert.equal(stats.apiVersions[v], 1, v);
  });

  it('refuses one it does not serve (there was no 13.0) with UnsupportedRequestVersion', async () => {
    for (const v of ['2021-01-01.13.0', '2018-08-01.7.0', '2025-06-01.21.0']) {
      const res = await documentedRequest(emu, 'GET', '/pools', `api-version=${v}`);
      assert.equal(res.status, 400, v);
      assert.equal(res.json().code, 'UnsupportedRequestVersion', v);
    }
    const missing = await documentedRequest(emu, 'GET', '/pools', 'timeout=30');
    assert.equal(missing.json().code, 'MissingRequiredQueryParameter');
    const stats = emu.stats();
    assert.equal(stats.apiVersions.unsupported, 3);
    assert.equal(stats.apiVersions.missing, 1);
  });

  it('refuses a property the version does not have (400 UnsupportedProperty)', async () => {
    const spec = { ...poolSpec('comm'), targetNodeCommunicationMode: 'simplified' };
    const early = await documentedRequest(
      emu,
      'POST',
      '/pools',
      'api-version=2022-01-01.15.0',
      spec,
    );
    assert.equal(early.status, 400);
    assert.equal(early.json().code, 'UnsupportedProperty');
    assert.deepEqual((early.json().values as { value: string }[])[0], {
      key: 'PropertyName',
      value: 'targetNodeCommunicationMode',
    });
    const slots = await documentedRequest(emu, 'POST', '/pools', 'api-version=2019-08-01.10.0', {
      ...poolSpec('slots'),
      taskSlotsPerNode: 2,
    });
    assert.equal(slots.json().code, 'UnsupportedProperty');
    const retired = await documentedRequest(emu, 'POST', '/pools', 'api-version=2025-06-01', {
      id: 'cloud',
      vmSize: 'small',
      cloudServiceConfiguration: { osFamily: '6' },
    });
    assert.equal(retired.json().code, 'UnsupportedProperty');
    // The version that introduced it takes it, and a later one that dropped it does not see it.
    const ok = await documentedRequest(emu, 'POST', '/pools', 'api-version=2022-10-01.16.0', spec);
    assert.equal(ok.status, 201);
    const at16 = await documentedRequest(emu, 'GET', '/pools/comm', 'api-version=2022-10-01.16.0');
    assert.equal(at16.json().targetNodeCommunicationMode, 'simplified');
    const at25 = await documentedRequest(emu, 'GET', '/pools/comm', 'api-version=2025-06-01');
    assert.equal(at25.status, 200);
    assert.equal(at25.json().targetNodeCommunicationMode, undefined);
  });

  it('has a property table validation can ask', () => {
    assert.equal(propertyKnownIn('2023-05-01.17.0', 'resourceTags'), false);
    assert.equal(propertyKnownIn('2023-11-01.18.0', 'resourceTags'), true);
    assert.equal(propertyKnownIn('2024-02-01.19.0', 'upgradePolicy'), true);
    assert.equal(propertyKnownIn('2023-11-01.18.0', 'upgradePolicy'), false);
    assert.equal(propertyKnownIn('2024-07-01.20.0', 'cloudServiceConfiguration'), false);
    assert.equal(propertyKnownIn('2018-12-01.8.0', 'maxTasksPerNode'), true);
    assert.equal(propertyKnownIn('2025-06-01', 'maxTasksPerNode'), false);
    assert.equal(propertyKnownIn('2020-03-01.11.0', 'value[0].requiredSlots'), false);
    assert.equal(
      propertyKnownIn('2022-10-01.16.0', 'networkConfiguration.enableAcceleratedNetworking'),
      false,
    );
    assert.equal(propertyKnownIn('2018-12-01.8.0', 'targetLowPriorityNodes'), true);
    assert.equal(
      propertyKnownIn('2018-12-01.8.0', 'osDisk'),
      true,
      'only under virtualMachineConfiguration',
    );
  });
});

describe('slow and vanishing clients', () => {
  let emu: BatchEmulator;

  before(async () => {
    emu = await startTestEmulator({ requestTimeoutMs: 1000 });
    await batchClient(emu).pool.add(poolSpec('slow-pool'));
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('answers a body that stops coming 408 OperationTimedOut and closes, counting no 500', async () => {
    const started = Date.now();
    const socket = await stalledJobAdd(emu, '{"id":"slow-job",', 200);
    const { text, closed } = await readUntilClosed(socket, 10_000);
    const elapsed = Date.now() - started;
    assert.ok(closed, 'the server closed the connection');
    assert.ok(elapsed >= 900 && elapsed < 5000, `answered after ${elapsed} ms`);
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /connection: close/i);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { code: string };
    assert.equal(body.code, 'OperationTimedOut');
    const ops = emu.stats().operations.Job_Add;
    assert.deepEqual(ops, { 408: 1 });
  });

  it('counts a client that hangs up mid-body as disconnected, not as a 500', async () => {
    const before = emu.stats().disconnected;
    const socket = await stalledJobAdd(emu, '{"id":"gone-job",', 200);
    await sleep(100);
    socket.destroy();
    await waitFor('the hang-up is counted', () =>
      emu.stats().disconnected === before + 1 ? true : undefined,
    );
    const ops = emu.stats().operations.Job_Add;
    assert.equal(ops.disconnected, 1);
    assert.equal(ops['500'], undefined);
  });

  it('keeps serving others while many clients stall, and closes slow headers too', async () => {
    const stalled = await Promise.all(
      Array.from({ length: 40 }, (_, i) => stalledJobAdd(emu, `{"id":"s${i}"`, 500)),
    );
    const halfHead = connect(Number(new URL(emu.url).port), '127.0.0.1');
    halfHead.write('GET /pools?api-version=2025-06-01 HTTP/1.1\r\nHost: x\r\n');
    const headClosed = readUntilClosed(halfHead, 10_000);
    const t0 = Date.now();
    const pool = await batchClient(emu).pool.get('slow-pool');
    assert.equal(pool.id, 'slow-pool');
    assert.ok(Date.now() - t0 < 1000, 'an ordinary request is not held up');
    const results = await Promise.all(stalled.map((s) => readUntilClosed(s, 10_000)));
    assert.ok(results.every((r) => r.closed && r.text.startsWith('HTTP/1.1 408 ')));
    const head = await headClosed;
    assert.ok(head.closed, 'a client that never finishes its headers is closed');
    assert.equal(emu.stats().operations.Job_Add['500'], undefined);
  });
});

describe('the default request limit', () => {
  it('answers a stalled body within 30 s (10 s by default)', async () => {
    const emu = await startTestEmulator();
    try {
      const started = Date.now();
      const socket = await stalledJobAdd(emu, '{', 50);
      const { text, closed } = await readUntilClosed(socket, 30_000);
      const elapsed = Date.now() - started;
      assert.ok(closed && text.startsWith('HTTP/1.1 408 '), text);
      assert.ok(elapsed < 15_000, `answered after ${elapsed} ms`);
      assert.equal(emu.stats().operations.Job_Add?.['500'], undefined);
    } finally {
      await emu.stop();
      removeDir(emu.dataDir);
    }
  });
});
