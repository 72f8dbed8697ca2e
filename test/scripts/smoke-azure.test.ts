// `npm run smoke:azure` without an Azure account configured: it must not pass, and must say
// what to set. (With an account it runs the tutorial for real; that cannot run here.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/config';

test('smoke:azure without the Azure variables exits 2 and names them', () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AZURE_')),
  );
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/smoke-azure.ts')],
    // No .env either: a developer's own account must never be touched by the test suite.
    { env: { ...env, DURABLE_BATCH_ENV_FILE: 'none' }, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(result.status, 2, result.stderr + result.stdout);
  for (const name of [
    'AZURE_BATCH_ACCOUNT_NAME',
    'AZURE_BATCH_ACCOUNT_URL',
    'AZURE_STORAGE_ACCOUNT_NAME',
  ]) {
    assert.match(result.stderr, new RegExp(name));
  }
  assert.doesNotMatch(result.stdout, /started smoke-/);
});
