// "Any Temporal": the worker and the CLI connect to whatever the standard TEMPORAL_* variables
// name (@temporalio/envconfig), here a Temporal reached only over TLS. The dev server has no TLS
// option, so a TLS-terminating proxy (src/stack/tls-proxy.ts) with the self-signed loopback
// certificate stands before the test stack's Temporal; its counters prove the traffic was TLS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { temporalConnection, type AppConfig } from '../../src/config';
import { makeSampleClips } from '../../src/demo/samples';
import { tlsCertificates, type TlsCertificates } from '../../src/stack/tls-certs';
import { startTlsProxy, type TlsProxy } from '../../src/stack/tls-proxy';
import { WorkerProcess } from '../../src/stack/worker-process';
import { runCli } from '../helpers/cli';
import { testConfig } from '../helpers/stack';

/** TEMPORAL_* variables a test must not inherit (only what each case sets counts). */
function withoutTemporalTls(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([key]) =>
        !key.startsWith('TEMPORAL_TLS') && key !== 'TEMPORAL_API_KEY' && key !== 'TEMPORAL_PROFILE',
    ),
  );
}

describe('Temporal over TLS (TEMPORAL_ADDRESS + TEMPORAL_TLS_* via envconfig)', () => {
  let config: AppConfig;
  let cert: TlsCertificates;
  let proxy: TlsProxy;
  let mtlsProxy: TlsProxy;
  let workflowId = '';
  let dir: string;
  let worker: WorkerProcess | undefined;
  const taskQueue = `tls-${Date.now()}`;

  before(async () => {
    config = await testConfig();
    // Children inherit process.env: only the variables each case sets may name TLS or a key.
    for (const key of Object.keys(process.env)) {
      if (!(key in withoutTemporalTls(process.env))) delete process.env[key];
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-test-'));
    cert = tlsCertificates(path.join(dir, 'certs'));
    const server = { certFile: cert.serverCertFile, keyFile: cert.serverKeyFile };
    proxy = await startTlsProxy({ target: config.temporal.address, ...server });
    mtlsProxy = await startTlsProxy({
      target: config.temporal.address,
      ...server,
      clientCaFile: cert.caFile,
    });
  });

  after(async () => {
    await worker?.stop();
    await proxy?.close();
    await mtlsProxy?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Only the address and the TLS variables point at Temporal; the rest is the test stack's. */
  const tlsEnv = (withCa: boolean): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS: 'true',
    ...(withCa ? { TEMPORAL_TLS_SERVER_CA_CERT_PATH: cert.caFile } : {}),
    TEMPORAL_TASK_QUEUE: taskQueue,
  });

  const cli = runCli;

  test('temporalConnection keeps envconfig’s TLS settings and address', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, tlsEnv(true));
      const { connectionOptions } = temporalConnection(config);
      assert.equal(connectionOptions.address, proxy.address);
      assert.ok(connectionOptions.tls && typeof connectionOptions.tls === 'object');
      assert.deepEqual(
        Buffer.from(connectionOptions.tls.serverRootCACertificate ?? []),
        fs.readFileSync(cert.caFile),
      );
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  test('temporalConnection reads the TLS variables from .env too, as loadConfig does', () => {
    const envFile = path.join(dir, 'tls.env');
    fs.writeFileSync(
      envFile,
      `TEMPORAL_ADDRESS=${proxy.address}\nTEMPORAL_TLS_SERVER_CA_CERT_PATH=${cert.caFile}\n` +
        'TEMPORAL_TLS_SERVER_NAME=localhost\n',
    );
    const saved = { ...process.env };
    try {
      delete process.env.TEMPORAL_ADDRESS;
      process.env.DURABLE_BATCH_ENV_FILE = envFile;
      const { connectionOptions } = temporalConnection(config);
      assert.equal(connectionOptions.address, proxy.address);
      assert.ok(connectionOptions.tls && typeof connectionOptions.tls === 'object');
      assert.equal(connectionOptions.tls.serverNameOverride, 'localhost');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  test('the worker (a child process) connects through the TLS proxy and polls', async () => {
    const before = proxy.stats.tlsConnections;
    worker = new WorkerProcess({ env: tlsEnv(true) });
    await worker.start();
    assert.ok(proxy.stats.tlsConnections > before, 'the worker opened no TLS connection');
    assert.ok(proxy.stats.alpn.includes('h2'), `ALPN chosen: ${proxy.stats.alpn.join(', ')}`);
    assert.ok(proxy.stats.bytesToTarget > 0 && proxy.stats.bytesFromTarget > 0);
  });

  test('the CLI starts a run through the proxy, waits for it and reads its status', async () => {
    assert.ok(worker?.alive(), 'the TLS worker is not running');
    const clips = path.join(dir, 'clips');
    fs.mkdirSync(clips);
    await makeSampleClips(clips, 1, 1);
    const before = { ...proxy.stats };
    workflowId = `tls-run-${Date.now()}`;
    const started = await cli(
      tlsEnv(true),
      'start',
      '--input',
      clips,
      '--workflow-id',
      workflowId,
      '--cleanup',
      'always',
      '--low-priority',
      '1',
      '--wait',
      '--json',
    );
    assert.equal(
      started.code,
      0,
      `start failed:\n${started.stdout}\n${started.stderr}\n${worker?.log()}`,
    );
    assert.ok(
      proxy.stats.tlsConnections > before.tlsConnections,
      'the CLI opened no TLS connection',
    );

    const status = await cli(tlsEnv(true), 'status', workflowId, '--json');
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout.trim().split('\n').pop()!) as { status: string };
    assert.equal(parsed.status, 'COMPLETED');
    assert.ok(proxy.stats.bytesFromTarget > before.bytesFromTarget);
  });

  test('without the CA the CLI fails at once naming the certificate and the variable', async (t) => {
    const failedBefore = proxy.stats.failedHandshakes;
    const result = await cli(tlsEnv(false), 'status', workflowId || 'no-such-run');
    t.diagnostic(result.stderr.trim());
    assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, /over TLS: .*(certificate|verify)/i, result.stderr);
    assert.match(result.stderr, /TEMPORAL_TLS_SERVER_CA_CERT_PATH/, result.stderr);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'a stack trace instead of one message');
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
    assert.ok(proxy.stats.failedHandshakes > failedBefore, 'the proxy saw no refused handshake');
  });

  test('nothing listening: the CLI names the address and the refused connection', async () => {
    const result = await cli({ TEMPORAL_ADDRESS: '127.0.0.1:1' }, 'status', 'x');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Cannot connect to Temporal at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    // The message alone: no stack trace for a server that is not there.
    assert.doesNotMatch(result.stderr, /^\s+at /m);
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
  });

  test('without the CA the worker exits with a certificate error, not a hang', async (t) => {
    const failedBefore = proxy.stats.failedHandshakes;
    const refused = new WorkerProcess({ env: tlsEnv(false), startTimeoutMs: 60_000 });
    const started = Date.now();
    await assert.rejects(refused.start(), (err: Error) => {
      t.diagnostic(err.message.split('\n').slice(0, 3).join(' | '));
      assert.match(err.message, /exited/, err.message);
      assert.match(err.message, /over TLS: .*(certificate|verify)/i, err.message);
      assert.match(err.message, /TEMPORAL_TLS_SERVER_CA_CERT_PATH/, err.message);
      return true;
    });
    await refused.stop();
    assert.ok(Date.now() - started < 45_000, `took ${Date.now() - started} ms`);
    assert.ok(proxy.stats.failedHandshakes > failedBefore, 'the proxy saw no refused handshake');
  });

  test('mTLS: the worker and the CLI connect with a client certificate, not without', async () => {
    const mtlsEnv = {
      ...tlsEnv(true),
      TEMPORAL_ADDRESS: mtlsProxy.address,
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert.clientCertFile,
      TEMPORAL_TLS_CLIENT_KEY_PATH: cert.clientKeyFile,
      TEMPORAL_TASK_QUEUE: `${taskQueue}-mtls`,
    };
    const mtlsWorker = new WorkerProcess({ env: mtlsEnv });
    try {
      await mtlsWorker.start();
    } finally {
      await mtlsWorker.stop();
    }
    const status = await cli(mtlsEnv, 'status', workflowId || 'no-such-run', '--json');
    assert.ok(workflowId ? status.code === 0 : status.code === 2, status.stderr);
    assert.ok(mtlsProxy.stats.tlsConnections >= 2, JSON.stringify(mtlsProxy.stats));

    const failedBefore = mtlsProxy.stats.failedHandshakes;
    const tlsOnly = await cli(
      { ...tlsEnv(true), TEMPORAL_ADDRESS: mtlsProxy.address },
      'status',
      'x',
    );
    assert.notEqual(tlsOnly.code, 0);
    assert.ok(tlsOnly.ms < 30_000, `took ${tlsOnly.ms} ms`);
    assert.ok(mtlsProxy.stats.failedHandshakes > failedBefore, 'no refused handshake');
  });
});
