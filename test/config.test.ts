import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';

const azure = {
  AZURE_BATCH_ACCOUNT_NAME: 'mybatch',
  AZURE_BATCH_ACCOUNT_KEY: 'a2V5a2V5',
  AZURE_BATCH_ACCOUNT_URL: 'https://mybatch.westeurope.batch.azure.com/',
  AZURE_STORAGE_ACCOUNT_NAME: 'mystorage',
  AZURE_STORAGE_ACCOUNT_KEY: 'c3RvcmFnZQ==',
};

test('no Azure variables: the local stack on its default ports is the target', () => {
  const config = loadConfig({});
  assert.equal(config.target, 'local');
  assert.equal(config.temporal.address, '127.0.0.1:7233');
  assert.equal(config.batch.url, 'http://127.0.0.1:10100');
  assert.equal(config.storage.blobUrl, 'http://127.0.0.1:10000/devstoreaccount1');
  assert.equal(config.batch.accountName, 'devbatch');
});

test('stack ports move the local endpoints', () => {
  const config = loadConfig({
    TEMPORAL_PORT: '17233',
    AZURITE_BLOB_PORT: '20000',
    BATCH_EMULATOR_PORT: '20100',
  });
  assert.equal(config.temporal.address, '127.0.0.1:17233');
  assert.equal(config.storage.blobUrl, 'http://127.0.0.1:20000/devstoreaccount1');
  assert.equal(config.batch.url, 'http://127.0.0.1:20100');
});

test('all five Azure variables: real Azure, blob endpoint derived from the account name', () => {
  const config = loadConfig(azure);
  assert.equal(config.target, 'azure');
  assert.equal(config.batch.url, 'https://mybatch.westeurope.batch.azure.com');
  assert.equal(config.storage.blobUrl, 'https://mystorage.blob.core.windows.net');
});

test('every problem is reported in one message', () => {
  const err = (() => {
    try {
      loadConfig({
        TEMPORAL_PORT: 'seventy',
        AZURITE_BLOB_PORT: '70000',
        AZURE_BATCH_ACCOUNT_NAME: 'mybatch',
        AZURE_BATCH_ACCOUNT_KEY: 'a2V5a2V5',
        AZURE_BATCH_ACCOUNT_URL: 'not a url',
      });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError, 'expected a ConfigError');
  assert.match(err.message, /TEMPORAL_PORT="seventy": must be a port number/);
  assert.match(err.message, /AZURITE_BLOB_PORT="70000": must be between 1 and 65535/);
  assert.match(err.message, /AZURE_BATCH_ACCOUNT_URL="not a url"/);
  assert.match(
    err.message,
    /with account keys \(AZURE_BATCH_ACCOUNT_KEY set\).*missing: AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY/,
  );
  assert.equal(err.problems.length, 4);
});

test('all five Azure variables: account keys', () => {
  const config = loadConfig(azure);
  assert.equal(config.auth, 'keys');
  assert.equal(config.batch.accountKey, azure.AZURE_BATCH_ACCOUNT_KEY);
  assert.equal(config.storage.accountKey, azure.AZURE_STORAGE_ACCOUNT_KEY);
  assert.equal(loadConfig({}).auth, 'keys', 'the local stack signs with its dev keys');
});

test('the Batch URL and storage account without keys: Microsoft Entra ID', () => {
  const config = loadConfig({
    AZURE_BATCH_ACCOUNT_URL: 'https://mybatch.westeurope.batch.azure.com',
    AZURE_STORAGE_ACCOUNT_NAME: 'mystorage',
  });
  assert.equal(config.target, 'azure');
  assert.equal(config.auth, 'entra-id');
  assert.equal(config.batch.accountKey, undefined);
  assert.equal(config.storage.accountKey, undefined);
  assert.equal(config.batch.accountName, 'mybatch', 'named after the URL');
  assert.equal(config.storage.blobUrl, 'https://mystorage.blob.core.windows.net');
});

test('Entra ID mode says what it is missing; one key alone means keys mode, saying so', () => {
  const message = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 1, e.message);
      return e.message;
    }
    return assert.fail('expected a ConfigError');
  };
  assert.match(
    message({ AZURE_BATCH_ACCOUNT_URL: 'https://mybatch.westeurope.batch.azure.com' }),
    /real Azure with Microsoft Entra ID \(no account key set\) needs AZURE_BATCH_ACCOUNT_URL and AZURE_STORAGE_ACCOUNT_NAME; missing: AZURE_STORAGE_ACCOUNT_NAME/,
  );
  const { AZURE_BATCH_ACCOUNT_KEY: _, ...withoutBatchKey } = azure;
  assert.match(
    message(withoutBatchKey),
    /with account keys \(AZURE_STORAGE_ACCOUNT_KEY set\).*missing: AZURE_BATCH_ACCOUNT_KEY \(or unset both keys to sign in with Microsoft Entra ID/,
  );
});
