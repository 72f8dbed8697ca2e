// The Entra ID pieces on their own (no services): the Batch credentials adapter and its token
// cache, the user delegation SAS signer, what a failure says, and that logs never carry a token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { WebResource } from '@azure/ms-rest-js';
import {
  ContainerSASPermissions,
  type BlobServiceClient,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../src/activities/errors';
import { userDelegationSas } from '../../src/activities/storage';
import {
  BATCH_SCOPE,
  CachedToken,
  EntraTokenError,
  entraIdCredentials,
  identityOf,
} from '../../src/entra-id';
import { redactSecrets } from '../../src/logging';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (claims: Record<string, unknown>) =>
  `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJl`;
const CLAIMS = {
  aud: 'https://batch.core.windows.net/',
  oid: '11111111-2222-3333-4444-555555555555',
  tid: '99999999-8888-7777-6666-555555555555',
  appid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
};

/** A credential that counts its calls and hands out tokens valid for `lifetimeMs`. */
function countingCredential(lifetimeMs = 3600_000, now = () => Date.now()) {
  const calls: string[] = [];
  const credential: TokenCredential = {
    getToken(scopes) {
      calls.push(Array.isArray(scopes) ? scopes[0] : scopes);
      return Promise.resolve({
        token: jwt({ ...CLAIMS, n: calls.length }),
        expiresOnTimestamp: now() + lifetimeMs,
      });
    },
  };
  return { credential, calls };
}

const failure = (fn: () => unknown): ApplicationFailure => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    return err;
  }
  assert.fail('expected a failure');
};

describe('Batch bearer credentials', () => {
  test('sign every request with a token for https://batch.core.windows.net/, fetched once', async () => {
    const { credential, calls } = countingCredential();
    const { batch } = entraIdCredentials(credential);
    const requests = Array.from({ length: 5 }, () => new WebResource('https://x/pools', 'GET'));
    await Promise.all(requests.map((r) => batch.signRequest(r)));
    assert.deepEqual(calls, [BATCH_SCOPE], 'one token for concurrent requests');
    assert.equal(BATCH_SCOPE, 'https://batch.core.windows.net//.default');
    for (const r of requests) assert.match(r.headers.get('authorization') ?? '', /^Bearer eyJ/);
  });

  test('a token is renewed 5 minutes before it expires, and kept if renewal fails meanwhile', async () => {
    let now = 1_000_000;
    let failing = false;
    const calls: number[] = [];
    const credential: TokenCredential = {
      getToken: () => {
        calls.push(now);
        if (failing) return Promise.reject(new Error('IMDS is down'));
        return Promise.resolve<AccessToken>({
          token: `t${calls.length}`,
          expiresOnTimestamp: now + 3600_000,
        });
      },
    };
    const cache = new CachedToken(credential, BATCH_SCOPE, () => now);
    assert.equal((await cache.get()).token, 't1');
    now += 54 * 60_000;
    assert.equal((await cache.get()).token, 't1', 'renewed too early');
    now += 2 * 60_000;
    assert.equal((await cache.get()).token, 't2', 'not renewed within 5 minutes of expiry');
    failing = true;
    now += 56 * 60_000;
    assert.equal((await cache.get()).token, 't2', 'dropped a token that still works');
    now += 4 * 60_000;
    await assert.rejects(cache.get(), EntraTokenError);
  });

  test('no identity found: a permanent failure that says how to sign the worker in', async () => {
    const credential: TokenCredential = {
      getToken: () =>
        Promise.reject(
          Object.assign(new Error('DefaultAzureCredential failed to retrieve a token'), {
            name: 'CredentialUnavailableError',
          }),
        ),
    };
    const err = await new CachedToken(credential, BATCH_SCOPE).get().catch((e: unknown) => e);
    assert.ok(err instanceof EntraTokenError);
    assert.equal(err.permanent, true);
    const f = failure(() => toActivityFailure(err, 'Batch account'));
    assert.equal(f.type, 'AuthenticationFailed');
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /^Batch account: Microsoft Entra ID: the worker found no identity/);
    assert.match(f.message, /managed identity.*AZURE_CLIENT_SECRET.*az login/);
  });

  test('a network error while getting a token is retried', async () => {
    const credential: TokenCredential = {
      getToken: () => Promise.reject(new Error('connect ECONNREFUSED 169.254.169.254:80')),
    };
    const err = await new CachedToken(credential, BATCH_SCOPE).get().catch((e: unknown) => e);
    assert.equal(failure(() => toActivityFailure(err, 'read pool p')).nonRetryable, false);
  });
});

describe('what a refusal says', () => {
  const refused = (status: number, authorization: string) => ({
    statusCode: status,
    code: 'AuthenticationFailed',
    body: {
      code: 'AuthenticationFailed',
      message: { value: 'Server failed to authenticate the request.\nRequestId:x' },
      values: [{ key: 'AuthenticationErrorDetail', value: 'The token is expired.' }],
    },
    request: { headers: new Map([['authorization', authorization]]) },
  });

  test('with keys: check the key; with a token: check the identity (never the token itself)', () => {
    const withKey = failure(() =>
      toActivityFailure(refused(403, 'SharedKey a:b'), 'create pool p'),
    );
    assert.match(withKey.message, /The token is expired\. \(check the account name and key/);
    const token = jwt(CLAIMS);
    const withToken = failure(() =>
      toActivityFailure(refused(403, `Bearer ${token}`), 'create pool p'),
    );
    assert.match(withToken.message, /Microsoft Entra ID: check its identity's token and its role/);
    assert.ok(!withToken.message.includes(token));
  });

  test('the preflight names the identity and what to fix: audience (401) or role (403)', async () => {
    const { credential } = countingCredential();
    const { batch, storage, access } = entraIdCredentials(credential);
    await batch.signRequest(new WebResource('https://x', 'GET'));
    await storage.getToken('https://storage.azure.com/.default');
    assert.match(
      access.advice('batch', 401),
      new RegExp(
        `object id ${CLAIMS.oid}, app id ${CLAIMS.appid}, tenant ${CLAIMS.tid}\\), whose audience is https://batch.core.windows.net/: it must be for https://batch.core.windows.net/`,
      ),
    );
    assert.match(
      access.advice('batch', 403),
      /'Azure Batch Data Contributor' role on the Batch account/,
    );
    assert.match(
      access.advice('storage', 403),
      /'Storage Blob Data Contributor' role on the storage account.*user delegation key/,
    );
    assert.deepEqual(identityOf('not a jwt'), {});
  });
});

describe('user delegation SAS', () => {
  const READ = ContainerSASPermissions.parse('r');
  const CREATE_WRITE = ContainerSASPermissions.parse('cw');
  function fakeService() {
    const requests: Array<[Date, Date]> = [];
    const service = {
      accountName: 'acct',
      getUserDelegationKey(startsOn: Date, expiresOn: Date): Promise<UserDelegationKey> {
        requests.push([startsOn, expiresOn]);
        return Promise.resolve({
          signedObjectId: CLAIMS.oid,
          signedTenantId: CLAIMS.tid,
          signedStartsOn: startsOn,
          signedExpiresOn: expiresOn,
          signedService: 'b',
          signedVersion: '2025-01-05',
          value: Buffer.from('user delegation key').toString('base64'),
        });
      },
    };
    return { service: service as unknown as BlobServiceClient, requests };
  }

  test('one key signs the input and output SAS; a SAS the key covers needs no new key', async () => {
    const { service, requests } = fakeService();
    const signer = userDelegationSas(service);
    const startsOn = new Date(Date.now() - 300_000);
    const expiresOn = new Date(Date.now() + 1800_000);
    const [read, write] = await Promise.all([
      signer.sign({ containerName: 'in', permissions: READ, startsOn, expiresOn }),
      signer.sign({ containerName: 'out', permissions: CREATE_WRITE, startsOn, expiresOn }),
    ]);
    assert.equal(requests.length, 1);
    for (const sas of [read, write]) {
      const params = new URLSearchParams(sas);
      assert.equal(params.get('skoid'), CLAIMS.oid);
      assert.ok(params.get('sig'));
    }
    await signer.sign({ containerName: 'in', permissions: READ, startsOn, expiresOn });
    assert.equal(requests.length, 1, 'the held key covers it');
    const later = new Date(expiresOn.getTime() + 2 * 3600_000);
    await signer.sign({ containerName: 'in', permissions: READ, startsOn, expiresOn: later });
    assert.equal(requests.length, 2, 'a SAS outliving the key needs a new one');
  });

  test('a SAS valid for more than 7 days cannot be a user delegation SAS', async () => {
    const { service } = fakeService();
    await assert.rejects(
      userDelegationSas(service).sign({
        containerName: 'in',
        permissions: READ,
        startsOn: new Date(),
        expiresOn: new Date(Date.now() + 8 * 24 * 3600_000),
      }),
      /at most 7 days/,
    );
  });
});

test('logs never show a token: Bearer headers and bare JWTs are redacted', () => {
  const token = jwt(CLAIMS);
  const text = `GET /pools failed; authorization: Bearer ${token}; token=${token} "${token}"`;
  const out = redactSecrets(text);
  assert.ok(!out.includes(token.split('.')[1]), out);
  assert.match(out, /Bearer REDACTED/);
});
