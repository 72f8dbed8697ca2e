// With Temporal unreachable, the SDK's native layer logs too (connection errors while polling):
// those lines must come through the same JSON logger as the rest, not as coloured text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/stack/ports';
import { startTemporal } from '../src/stack/temporal';
import { WorkerProcess } from '../src/stack/worker-process';

test('with Temporal down for 10 s, every worker log line is JSON', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-logs-'));
  const ports = { port: await freePort(), uiPort: await freePort() };
  let temporal = await startTemporal({ dataDir, ...ports, reuse: false });
  const worker = new WorkerProcess({
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `native-logs-${process.pid}`,
      DURABLE_BATCH_ENV_FILE: 'none',
      LOG_LEVEL: 'WARN',
    },
  });
  await worker.start();
  try {
    process.kill(temporal.child!.pid, 'SIGKILL');
    await sleep(10_000);
    temporal = await startTemporal({ dataDir, ...ports, reuse: false });
    await sleep(3000);
    assert.ok(worker.alive(), `the worker died while Temporal was down:\n${worker.log()}`);
  } finally {
    await worker.stop();
    await temporal.stop();
  }
  const lines = worker.log().split('\n').filter(Boolean);
  assert.ok(lines.length > 0, 'the worker logged nothing while Temporal was down');
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
  }
  const levels = lines.map((line) => (JSON.parse(line) as { level: string }).level);
  assert.ok(
    levels.some((level) => level === 'WARN' || level === 'ERROR'),
    `no warning while Temporal was down: ${lines.join('\n')}`,
  );
});
