// Worker logs are JSON lines with the run's context and never a secret: checked on the lines a
// real worker writes for a real activity (on the test stack), and on the formatter alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { log as activityLog, activityInfo } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import type { LogEntry } from '@temporalio/worker';
import { NativeConnection, Worker } from '@temporalio/worker';
import { formatLogEntry, installLogging, redactSecrets } from '../src/logging';
import type { smokeWorkflow } from './fixtures/smoke-workflows';
import { testConfig } from './helpers/stack';

const ACCOUNT_KEY = 'c2VjcmV0LWFjY291bnQta2V5+/==';
const SIG = 'SiGnAtUrE0123%2Babc%3D';
const SAS_URL = `https://acct.blob.core.windows.net/input/LowPriVMs-1.mp4?sv=2022-11-02&se=2030-01-01&sr=b&sp=r&sig=${SIG}`;
const CONNECTION_STRING = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`;

// The process-wide runtime logger must be installed before any worker or native connection.
const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logging-test-')), 'worker.log');
installLogging({ level: 'INFO', file: logFile, secrets: [ACCOUNT_KEY] });
after(() => fs.rmSync(path.dirname(logFile), { recursive: true, force: true }));

type Line = Record<string, unknown> & { message: string; error?: { message?: string } };

describe('worker logs of a real activity', () => {
  let lines: Line[];
  let text: string;
  let workflowId: string;

  before(async () => {
    const config = await testConfig();
    const taskQueue = `logging-${process.pid}`;
    workflowId = `logging-${Date.now()}`;
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const worker = await Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowsPath: require.resolve('./fixtures/smoke-workflows'),
        activities: {
          greet(name: string): Promise<string> {
            // What an activity might log, and an error an SDK might throw: both carry secrets.
            activityLog.info('uploading', { url: SAS_URL, accountKey: ACCOUNT_KEY });
            if (activityInfo().attempt === 1) {
              throw new Error(`PUT ${SAS_URL} failed (403) with ${CONNECTION_STRING}`);
            }
            return Promise.resolve(`hello, ${name}`);
          },
        },
      });
      const client = new Client({ connection });
      await worker.runUntil(
        client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
          taskQueue,
          workflowId,
          args: ['logs'],
          retry: { maximumAttempts: 1 },
        }),
      );
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
    text = fs.readFileSync(logFile, 'utf8');
    lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
  });

  test('every line is JSON with time, level and message', () => {
    assert.ok(lines.length >= 3, text);
    for (const line of lines) {
      assert.equal(typeof line.time, 'string');
      assert.match(String(line.level), /^(TRACE|DEBUG|INFO|WARN|ERROR)$/);
      assert.equal(typeof line.message, 'string');
    }
  });

  test('an activity line carries the workflow id, the activity type and the attempt', () => {
    const failed = lines.find((l) => l.message === 'Activity failed');
    assert.ok(failed, `no "Activity failed" line in:\n${text}`);
    assert.equal(failed.workflowId, workflowId);
    assert.equal(failed.workflowType, 'smokeWorkflow');
    assert.equal(failed.activityType, 'greet');
    assert.equal(failed.attempt, 1);
    assert.match(failed.error?.message ?? '', /PUT https:\/\/acct.*sig=REDACTED.* failed \(403\)/);
    const retried = lines.find((l) => l.message === 'uploading' && l.attempt === 2);
    assert.ok(retried, `no line from the second attempt in:\n${text}`);
    assert.equal(retried.workflowId, workflowId);
    assert.equal(retried.activityType, 'greet');
  });

  test('no SAS signature, account key or task token is written', () => {
    assert.ok(!text.includes(SIG), 'a SAS signature was logged');
    assert.ok(!text.includes('SiGnAtUrE'), 'part of a SAS signature was logged');
    assert.ok(!text.includes(ACCOUNT_KEY), 'an account key was logged');
    assert.ok(!text.includes('c2VjcmV0'), 'part of an account key was logged');
    assert.ok(!text.includes('taskToken'), 'a task token was logged');
    assert.match(text, /sig=REDACTED/);
    assert.match(text, /AccountKey=REDACTED/);
  });
});

describe('formatLogEntry', () => {
  const entry = (message: string, meta: Record<string, unknown> = {}): LogEntry => ({
    level: 'INFO',
    message,
    meta,
    timestampNanos: 1_700_000_000_000_000_000n,
  });
  const format = (e: LogEntry, secrets?: string[]) =>
    JSON.parse(formatLogEntry(e, secrets)) as Record<string, unknown>;

  test('redacts signatures, keys and authorizations, and stays valid JSON around quotes', () => {
    const line = format(
      entry(`got "AccountKey=${ACCOUNT_KEY}" and 'sig=${SIG}'`, {
        authorization: 'SharedKey acct:abcdEFGH1234+/=',
        header: 'SharedKey acct:abcdEFGH1234+/=',
        bearer: 'Authorization: Bearer eyJhbGciOi.payload.sig',
        encoded: `https%3A%2F%2Fx%3Fsv%3D1%26sig%3D${SIG}%26se%3D2`,
        apiKey: 'anything at all',
      }),
    );
    assert.equal(line.message, `got "AccountKey=REDACTED" and 'sig=REDACTED'`);
    assert.equal(line.authorization, 'REDACTED');
    assert.equal(line.header, 'SharedKey acct:REDACTED');
    assert.equal(line.bearer, 'Authorization: Bearer REDACTED');
    assert.equal(line.encoded, 'https%3A%2F%2Fx%3Fsv%3D1%26sig%3DREDACTED%26se%3D2');
    assert.equal(line.apiKey, 'REDACTED');
    assert.equal(line.time, '2023-11-14T22:13:20.000Z');
  });

  test('a configured secret is redacted wherever it appears, also URL-encoded', () => {
    const line = format(
      entry('config', { dump: `key ${ACCOUNT_KEY} / ${encodeURIComponent(ACCOUNT_KEY)}` }),
      [ACCOUNT_KEY],
    );
    assert.equal(line.dump, 'key REDACTED / REDACTED');
    assert.equal(redactSecrets('a short one', ['short']), 'a short one');
  });

  test('errors keep type, message and cause (redacted), bigints become strings', () => {
    const cause = new Error(`GET ${SAS_URL}`);
    const err = Object.assign(new TypeError('upload failed', { cause }), { code: 'E403' });
    const line = format(entry('failed', { error: err, bytes: 12n }));
    const error = line.error as Record<string, unknown>;
    assert.equal(error.type, 'TypeError');
    assert.equal(error.message, 'upload failed');
    assert.equal(error.code, 'E403');
    assert.match(String((error.cause as Record<string, unknown>).message), /sig=REDACTED$/);
    assert.equal(line.bytes, '12');
  });
});
