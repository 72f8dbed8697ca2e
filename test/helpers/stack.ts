// The stack a test file runs against: the one `npm test` started (its ports are in the
// environment), or, when a file is run on its own, one started here and stopped after the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { loadConfig, type AppConfig } from '../../src/config';
import { startTestStack, type LocalStack } from '../../src/stack/stack';

let pending: Promise<AppConfig> | undefined;
let ownStack: { stack: LocalStack; dataDir: string } | undefined;

// Registered at import time so it belongs to the file's root, not to whichever hook asked first.
after(async () => {
  if (!ownStack) return;
  await ownStack.stack.stop();
  fs.rmSync(ownStack.dataDir, { recursive: true, force: true });
});

export function testConfig(): Promise<AppConfig> {
  pending ??= (async () => {
    if (process.env.DURABLE_BATCH_TEST_STACK) return loadConfig(process.env);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-test-'));
    const stack = await startTestStack(dataDir);
    ownStack = { stack, dataDir };
    return loadConfig({ ...process.env, ...stack.env });
  })();
  return pending;
}
