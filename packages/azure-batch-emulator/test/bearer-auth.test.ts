// Microsoft Entra ID for Batch: bearer tokens signed by a trusted RS256 key, checked for issuer,
// audience and lifetime; every refusal a 401 with Batch's flat error body. Driven with the real
// @azure/batch client through the kind of credentials object an application gives it.
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchServiceClient } from '@azure/batch';
import type { WebResourceLike } from '@azure/ms-rest-js';
import { BATCH_AUDIENCE, BearerAuthenticator, parseTrustedKeys } from '../src/auth/bearer';
import type { BatchEmulator } from '../src/index';
import { batchError, rawRequest, removeDir, startTestEmulator, tempDir } from './helpers';

const ISSUER = 'https://sts.windows.net/00000000-0000-4000-8000-00000000beef/';
const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwt(claims: Record<string, unknown>, key: KeyObject = trusted.privateKey, kid = 'k1') {
  const now = Math.floor(Date.now() / 1000);
  const head = { alg: 'RS256', typ: 'JWT', kid };
  const body = { iss: ISSUER, aud: BATCH_AUDIENCE, iat: now, nbf: now, exp: now + 3600, ...claims };
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const data = `${encode(head)}.${encode(body)}`;
  const signature = createSign('RSA-SHA256').update(data).sign(key).toString('base64url');
  return `${data}.${signature}`;
}

/** What an application hands @azure/batch 10.x for Entra ID: a signRequest that adds the token. */
function bearerClient(url: string, token: string) {
  const credentials = {
    signRequest(request: WebResourceLike) {
      request.headers.set('authorization', `Bearer ${token}`);
      return Promise.resolve(request);
    },
  };
  return new BatchServiceClient(credentials, url, { noRetryPolicy: true });
}

describe('bearer tokens (Microsoft Entra ID)', () => {
  let emu: BatchEmulator;
  let dataDir: string;

  before(async () => {
    dataDir = tempDir('bearer');
    // As the CLI reads it: a JWKS file.
    const jwks = join(dataDir, 'jwks.json');
    const jwk = trusted.publicKey.export({ format: 'jwk' });
    writeFileSync(
      jwks,
      JSON.stringify({ keys: [{ ...jwk, kid: 'k1', use: 'sig', alg: 'RS256' }] }),
    );
    emu = await startTestEmulator({
      dataDir: join(dataDir, 'data'),
      tokenTrust: { issuer: ISSUER, keys: parseTrustedKeys(readFileSync(jwks, 'utf8')) },
    });
  });
  after(async () => {
    await emu?.stop();
    removeDir(dataDir);
  });

  it('a valid token for https://batch.core.windows.net/ is accepted, beside SharedKey', async () => {
    const client = bearerClient(emu.url, jwt({}));
    await client.pool.add({
      id: 'bearer-pool',
      vmSize: 'STANDARD_A1_v2',
      virtualMachineConfiguration: {
        imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server' },
        nodeAgentSKUId: 'batch.node.ubuntu 24.04',
      },
      targetDedicatedNodes: 0,
    });
    const pools = await client.pool.list();
    assert.deepEqual(
      pools.map((p) => p.id),
      ['bearer-pool'],
    );
    assert.equal((await rawRequest(emu, 'GET', '/pools')).status, 200, 'SharedKey still works');
  });

  const refused: Array<[string, () => string, RegExp]> = [
    ['signed by an untrusted key', () => jwt({}, stranger.privateKey), /not signed by a trusted/],
    [
      'expired (past the 5 min skew)',
      () => jwt({ exp: Math.floor(Date.now() / 1000) - 600 }),
      /expiry UTC time .* is earlier than current UTC time/,
    ],
    [
      'for the audience without the trailing slash',
      () => jwt({ aud: 'https://batch.core.windows.net' }),
      /wrong audience or resource 'https:\/\/batch\.core\.windows\.net'.*including forward slash.*'https:\/\/batch\.core\.windows\.net\/'/,
    ],
    [
      'for Storage',
      () => jwt({ aud: 'https://storage.azure.com' }),
      /wrong audience or resource 'https:\/\/storage\.azure\.com'/,
    ],
    [
      'from another issuer',
      () => jwt({ iss: 'https://sts.windows.net/another-tenant/' }),
      /wrong issuer 'https:\/\/sts\.windows\.net\/another-tenant\/'/,
    ],
    ['not yet valid', () => jwt({ nbf: Math.floor(Date.now() / 1000) + 3600 }), /not yet valid/],
    ['not a JWT', () => 'opaque-token', /not a well-formed JWT/],
    ['unsigned (alg none)', () => jwt({}).replace(/^[^.]+/, b64({ alg: 'none' })), /not RS256/],
  ];
  for (const [what, token, detail] of refused) {
    it(`a token ${what} is a 401 AuthenticationFailed saying why`, async () => {
      const err = await batchError(bearerClient(emu.url, token()).pool.list());
      assert.equal(err.statusCode, 401);
      assert.equal(err.code, 'AuthenticationFailed');
      assert.equal(err.body?.values?.[0]?.key, 'AuthenticationErrorDetail');
      assert.match(String(err.body?.values?.[0]?.value), detail);
    });
  }

  it('the raw answer is Batch flat error body with a Bearer challenge', async () => {
    const res = await rawRequest(emu, 'GET', '/pools', {
      unsigned: true,
      headers: { authorization: `Bearer ${jwt({}, stranger.privateKey)}` },
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const body = res.json();
    assert.equal(body.code, 'AuthenticationFailed');
    assert.match(
      String((body.message as { value: string }).value),
      /^Server failed to authenticate/,
    );
    assert.ok(!('odata.error' in body));
  });

  it('without a trusted issuer every token is refused, saying how to trust one', () => {
    const outcome = new BearerAuthenticator(undefined).authenticate({
      method: 'GET',
      rawPath: '/pools',
      query: [],
      headers: { authorization: `Bearer ${jwt({})}` },
    });
    assert.equal(outcome.kind, 'fail');
    assert.match(
      outcome.kind === 'fail' ? String(outcome.error.values[0].value) : '',
      /--trusted-token-key/,
    );
  });

  it('reads PEM public keys too', () => {
    const pem = trusted.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const [key] = parseTrustedKeys(pem);
    assert.equal(key.key.asymmetricKeyType, 'rsa');
    assert.throws(() => parseTrustedKeys('not a key'), /PEM public key, a JWKS or a JWK/);
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
