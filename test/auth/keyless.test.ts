// Microsoft Entra ID end to end, offline and for real: the project's worker as a child process
// with no account key anywhere in its environment, signing in with its own DefaultAzureCredential
// at a local token issuer (the App Service managed-identity protocol). Batch is the emulator,
// trusting only that issuer's key; Storage is a second Azurite over HTTPS in its OAuth mode. The
// tasks read and write through user delegation SAS. A refused token stops the run before anything
// is created, with a message that says what to fix; no token or signature reaches history or logs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { createdSince, emulatorStats } from 'azure-batch-emulator/control';
import { createActivities } from '../../src/activities';
import { createAzureClients } from '../../src/azure-clients';
import {
  AZURITE_ACCOUNT_KEY,
  EMULATOR_ACCOUNT_KEY,
  loadConfig,
  readEnvironment,
  type AppConfig,
} from '../../src/config';
import { makeSampleClips, probe } from '../../src/demo/samples';
import { dataConverter } from '../../src/payload-codec';
import { findTemporalCli } from '../../src/stack/bootstrap.cjs';
import { startEntraStack, type EntraStack } from '../../src/stack/entra';
import type { ManagedIdentityEndpoint } from '../../src/stack/token-issuer';
import { WorkerProcess } from '../../src/stack/worker-process';
import {
  approveCleanupSignal,
  progressQuery,
  TRANSCODE_WORKFLOW_TYPE,
  type TranscodeInput,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { testConfig } from '../helpers/stack';

const fast = { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 };
const BATCH_RESOURCE = 'https://batch.core.windows.net/';
const STORAGE_RESOURCE = 'https://storage.azure.com';

/** A keyless worker (child process) on its own task queue, signing in at `identity`. */
interface KeylessWorker {
  worker: WorkerProcess;
  identity: ManagedIdentityEndpoint;
  env: Record<string, string>;
  taskQueue: string;
}

/**
 * The CLI's JSON history with every payload's data (base64 in proto JSON) decoded beside it, so a
 * secret inside an activity's input or result is seen too.
 */
function withPayloadsDecoded(json: string): string {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if ('metadata' in record && typeof record.data === 'string') {
        decoded.push(Buffer.from(record.data, 'base64').toString('utf8'));
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  assert.ok(decoded.length > 10, 'no payload found in the history');
  return `${json}\n${decoded.join('\n')}`;
}

describe('Microsoft Entra ID, no account key anywhere', () => {
  let base: AppConfig;
  let dataDir: string;
  let clips: string;
  let entra: EntraStack;
  let good: KeylessWorker;
  let connection: Connection;
  let client: Client;
  const workers: KeylessWorker[] = [];

  async function keylessWorker(name: string, mint?: (resource: string) => string) {
    const identity = await entra.issuer.serveManagedIdentity(mint);
    const taskQueue = `keyless-${name}-${process.pid}-${Date.now()}`;
    const env = {
      ...entra.workerEnv(identity),
      TEMPORAL_ADDRESS: base.temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'INFO',
    };
    const worker = new WorkerProcess({ env });
    const started: KeylessWorker = { worker, identity, env, taskQueue };
    workers.push(started);
    await worker.start();
    return started;
  }

  /** The configuration the keyless worker reads (for the test's own clients, through the seam). */
  const keylessConfig = () => loadConfig(readEnvironment(good.env, 'none'));

  /** List Containers on the HTTPS Azurite with this token (the test trusts its certificate). */
  function listContainers(token: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      https
        .get(
          `${entra.azurite.blobUrl}?comp=list`,
          {
            ca: fs.readFileSync(entra.tls.certFile),
            headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2025-01-05' },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        )
        .on('error', reject);
    });
  }

  async function containers(): Promise<string[]> {
    const { status, body } = await listContainers(
      entra.issuer.mint({ audience: STORAGE_RESOURCE }),
    );
    assert.equal(status, 200, body);
    return [...body.matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]);
  }

  function start(worker: KeylessWorker, id: string, input: TranscodeInput) {
    return client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue: worker.taskQueue,
      workflowId: `${id}-${Date.now()}`,
      args: [input],
    });
  }

  before(async () => {
    base = await testConfig();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-'));
    clips = path.join(dataDir, 'clips');
    fs.mkdirSync(clips);
    [entra] = await Promise.all([startEntraStack({ dataDir }), makeSampleClips(clips, 3, 1)]);
    good = await keylessWorker('good');
    connection = await Connection.connect({ address: base.temporal.address });
    client = new Client({ connection, dataConverter });
  });

  after(async () => {
    await Promise.allSettled(workers.map((w) => w.worker.stop()));
    await Promise.allSettled(workers.map((w) => w.identity.stop()));
    await connection?.close();
    await entra?.stop();
    if (!process.env.KEEP_TEST_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("the worker's environment holds no key: Entra ID mode, with nothing to redact", () => {
    const config = keylessConfig();
    assert.equal(config.target, 'azure');
    assert.equal(config.auth, 'entra-id');
    assert.equal(config.batch.accountKey, undefined);
    assert.equal(config.storage.accountKey, undefined);
    // What the running process really has, not what the test meant to give it.
    const environ = fs.readFileSync(`/proc/${good.worker.pid}/environ`, 'utf8').split('\0');
    for (const variable of environ) {
      const [name, value = ''] = variable.split(/=(.*)/s);
      assert.ok(!value.includes(AZURITE_ACCOUNT_KEY), `${name} holds Azurite's key`);
      assert.ok(!value.includes(EMULATOR_ACCOUNT_KEY), `${name} holds the emulator's key`);
      assert.ok(!/AccountKey=/.test(value), `${name} holds a connection string`);
      if (/^AZURE_.*_KEY$/.test(name)) assert.equal(value, '', `${name} is set`);
    }
  });

  test('the tutorial run: Batch by bearer token, Storage by token, tasks by user delegation SAS', async () => {
    const before = await emulatorStats(entra.batch.url);
    const download = path.join(dataDir, 'out');
    const handle = await start(good, 'keyless', {
      input: { localDir: clips },
      output: { downloadDir: download },
      pool: { lowPriorityNodes: 2 },
      cleanup: { policy: 'ask' },
      polling: fast,
    });
    // While the run waits for the cleanup decision, its tasks are still there to read.
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 600 && progress.phase !== 'awaiting-cleanup-decision'; i++) {
      assert.notEqual(progress.phase, 'done', progress.error);
      await sleep(100);
      progress = await handle.query(progressQuery);
    }
    assert.equal(progress.phase, 'awaiting-cleanup-decision');

    // The test's own Batch client, through the one seam: a TokenCredential over the issuer.
    const { batch } = createAzureClients(keylessConfig(), () => entra.issuer.credential());
    const tasks = await batch.task.list(progress.job.id);
    assert.equal(tasks.length, 3);
    for (const task of tasks) {
      const urls = [
        task.resourceFiles?.[0]?.httpUrl ?? '',
        ...(task.outputFiles ?? []).map((f) => f.destination.container?.containerUrl ?? ''),
      ];
      for (const url of urls) {
        const sas = new URL(url).searchParams;
        // A user delegation SAS names the identity whose key signed it; an account-key SAS does not.
        assert.equal(sas.get('skoid'), entra.issuer.objectId, url.split('?')[0]);
        assert.equal(sas.get('sktid'), entra.issuer.tenantId);
        assert.ok(sas.get('sig') && sas.get('skv') && sas.get('ske'));
      }
    }
    await handle.signal(approveCleanupSignal, { deleteJob: true, deletePool: true });
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.equal(result.outputCount, 3);
    const mp3s = fs.readdirSync(download).filter((f) => f.endsWith('.mp3'));
    assert.equal(mp3s.length, 3);
    for (const mp3 of mp3s) {
      const info = await probe(path.join(download, mp3));
      assert.ok(info.audio && !info.video, `${mp3} is not audio only`);
    }
    const after = await emulatorStats(entra.batch.url);
    assert.deepEqual(createdSince(before, after), { pools: 1, jobs: 1, tasks: 3 });
    const names = await containers();
    assert.ok(names.includes(result.outputContainer), 'no output container');
    assert.ok(!names.some((n) => n.endsWith('-input')), `input left: ${names.join(', ')}`);

    // DefaultAzureCredential asked the identity for both services, and for nothing else.
    const resources = new Set(good.identity.issued.map((t) => t.resource));
    assert.deepEqual([...resources].sort(), [BATCH_RESOURCE, STORAGE_RESOURCE]);

    // No token, key or signature in the history (as the Temporal CLI shows it) or the logs.
    const cli = findTemporalCli();
    assert.ok(cli);
    const { stdout: history } = await promisify(execFile)(
      cli.path,
      ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json'],
      {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TEMPORAL_ADDRESS: base.temporal.address },
      },
    );
    assert.ok(history.includes('createPoolIfAbsent'), 'the CLI showed no history');
    const logs = [
      ['history', withPayloadsDecoded(history)],
      ['worker log', good.worker.log()],
      ['emulator log', fs.readFileSync(entra.batch.child!.logFile, 'utf8')],
    ];
    const tokens = good.identity.issued.map((t) => t.token.split('.')[2]);
    for (const [where, text] of logs) {
      // JWTs (header and claims) start eyJ…, but so do base64 JSON payloads: seek the tokens.
      for (const secret of ['sig=', 'sig%3D', 'skoid', 'Bearer ', ...tokens]) {
        assert.ok(!text.includes(secret), `the ${where} contains ${secret.slice(0, 12)}…`);
      }
      assert.doesNotMatch(text, /eyJ[\w-]+\.eyJ[\w-]+\./, `the ${where} contains a JWT`);
    }
  });

  test('a refused token (wrong audience, expired, untrusted key): Batch answers 401 with its error body, the preflight says what to fix', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const bad: Array<[string, (resource: string) => string, RegExp]> = [
      [
        'the audience without its trailing slash',
        () => entra.issuer.mint({ audience: 'https://batch.core.windows.net' }),
        /wrong audience or resource 'https:\/\/batch\.core\.windows\.net'.*whose audience is https:\/\/batch\.core\.windows\.net: it must be for https:\/\/batch\.core\.windows\.net\//,
      ],
      [
        'expired',
        (audience) =>
          entra.issuer.mint({ audience, expiresAt: new Date(Date.now() - 15 * 60_000) }),
        /expiry UTC time .* is earlier than current UTC time.*unexpired/,
      ],
      [
        'signed by an untrusted key',
        (audience) => entra.issuer.mint({ audience, signingKey: stranger }),
        /not signed by a trusted key/,
      ],
    ];
    for (const [what, mint, expected] of bad) {
      const clients = createAzureClients(keylessConfig(), () => entra.issuer.credential(mint));
      const err = (await clients.batch.pool.list().then(
        () => assert.fail(`${what}: accepted`),
        (e: unknown) => e,
      )) as { statusCode?: number; code?: string; body?: { values?: { key: string }[] } };
      assert.equal(err.statusCode, 401, what);
      assert.equal(err.code, 'AuthenticationFailed', what);
      assert.equal(err.body?.values?.[0]?.key, 'AuthenticationErrorDetail', what);
      await assert.rejects(createActivities(clients).checkBatchAccess(), (failure: unknown) => {
        assert.ok(failure instanceof ApplicationFailure, what);
        assert.equal(failure.nonRetryable, true, what);
        assert.match(failure.message, /^Batch account: 401 AuthenticationFailed/, what);
        assert.match(failure.message, expected, what);
        assert.match(failure.message, new RegExp(`object id ${entra.issuer.objectId}`), what);
        return true;
      });
    }
  });

  test('a run whose identity gets a wrong-audience Batch token fails before creating anything', async () => {
    // What the scope https://batch.core.windows.net/.default (one slash) yields from Entra ID.
    const wrong = await keylessWorker('wrong-audience', (resource) =>
      entra.issuer.mint({
        audience: resource === BATCH_RESOURCE ? 'https://batch.core.windows.net' : resource,
      }),
    );
    const before = await emulatorStats(entra.batch.url);
    const containersBefore = await containers();
    const started = Date.now();
    const handle = await start(wrong, 'keyless-wrong', {
      input: { localDir: clips },
      cleanup: { policy: 'always' },
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      const message = err.cause instanceof Error ? err.cause.message : String(err.cause);
      assert.match(
        message,
        /Batch account: 401 AuthenticationFailed.*wrong audience.*Batch refused the Microsoft Entra ID token of the worker's identity \(object id .*whose audience is https:\/\/batch\.core\.windows\.net: it must be for https:\/\/batch\.core\.windows\.net\/ \(scope https:\/\/batch\.core\.windows\.net\/\/\.default\)/,
      );
      return true;
    });
    assert.ok(Date.now() - started < 20_000, 'a 401 was retried');
    const after = await emulatorStats(entra.batch.url);
    assert.deepEqual(createdSince(before, after), { pools: 0, jobs: 0, tasks: 0 });
    assert.deepEqual(await containers(), containersBefore, 'a container was created');
  });

  test("what Azurite's OAuth mode checks: issuer, audience, lifetime, HTTPS; not the signature", async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const status = async (token: string) => (await listContainers(token)).status;
    const mint = (options: Partial<Parameters<typeof entra.issuer.mint>[0]>) =>
      entra.issuer.mint({ audience: STORAGE_RESOURCE, ...options });
    assert.equal(await status(mint({})), 200);
    assert.equal(await status(mint({ audience: `${STORAGE_RESOURCE}/` })), 200);
    assert.equal(await status(mint({ audience: BATCH_RESOURCE })), 403, 'wrong audience');
    assert.equal(await status(mint({ expiresAt: new Date(Date.now() - 60_000) })), 403, 'expired');
    assert.equal(await status(mint({ issuer: 'https://login.example.com/' })), 403, 'issuer');
    // The gap: Azurite decodes the token without verifying it, so any key will do. Only the
    // Batch emulator proves that the worker holds a token from the trusted issuer.
    assert.equal(await status(mint({ signingKey: stranger })), 200, 'signature checked now?');
  });
});
