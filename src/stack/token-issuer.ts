// A local stand-in for Microsoft Entra ID, for the keyless (Entra ID) tests: an RSA key pair kept
// in the stack's data dir, JWTs shaped like Entra's v1 access tokens signed with it, and a loopback
// endpoint speaking the App Service managed-identity protocol, so that the worker's own
// DefaultAzureCredential finds it (IDENTITY_ENDPOINT, IDENTITY_HEADER) with no test-only code in
// the product. The Batch emulator trusts the public key (its JWKS); Azurite's OAuth mode checks
// issuer, audience and lifetime (not the signature).
import {
  createSign,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';

/** The resource a scope names, as Entra derives it: the scope less its `/.default`. */
export function resourceOfScope(scope: string): string {
  return scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : scope;
}

export interface MintOptions {
  /** The token's `aud`: the resource it is for. */
  audience: string;
  /** Default one hour from now. */
  expiresAt?: Date;
  notBefore?: Date;
  /** Default this issuer's (`https://sts.windows.net/<tenant>/`). */
  issuer?: string;
  /** Sign with another key (an untrusted one, for tests). */
  signingKey?: KeyObject;
}

/** One issued token, as the managed-identity endpoint reports it to the test (never logged). */
export interface IssuedToken {
  resource: string;
  token: string;
}

export interface ManagedIdentityEndpoint {
  /** IDENTITY_ENDPOINT and IDENTITY_HEADER: what DefaultAzureCredential reads. */
  env: Record<string, string>;
  /** Every token handed out so far. */
  issued: IssuedToken[];
  stop(): Promise<void>;
}

interface IssuerState {
  tenantId: string;
  objectId: string;
  clientId: string;
  kid: string;
}

export class LocalTokenIssuer {
  /** Entra's v1 issuer form, which Azurite's OAuth mode requires (a prefix of sts.windows.net). */
  readonly issuer: string;
  readonly jwksFile: string;

  private constructor(
    readonly dir: string,
    private readonly state: IssuerState,
    private readonly privateKey: KeyObject,
  ) {
    this.issuer = `https://sts.windows.net/${state.tenantId}/`;
    this.jwksFile = path.join(dir, 'jwks.json');
  }

  /** The issuer kept in `dir` (its key pair and identity), made on first use. */
  static open(dir: string): LocalTokenIssuer {
    fs.mkdirSync(dir, { recursive: true });
    const keyFile = path.join(dir, 'issuer-key.pem');
    const stateFile = path.join(dir, 'issuer.json');
    if (!fs.existsSync(keyFile) || !fs.existsSync(stateFile)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const state: IssuerState = {
        tenantId: randomUUID(),
        objectId: randomUUID(),
        clientId: randomUUID(),
        kid: randomBytes(8).toString('hex'),
      };
      fs.writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        mode: 0o600,
      });
      fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
    }
    const issuer = new LocalTokenIssuer(
      dir,
      JSON.parse(fs.readFileSync(stateFile, 'utf8')) as IssuerState,
      createPrivateKey(fs.readFileSync(keyFile)),
    );
    const jwk = createPublicKey(issuer.privateKey).export({ format: 'jwk' });
    const jwks = { keys: [{ ...jwk, kid: issuer.state.kid, use: 'sig', alg: 'RS256' }] };
    fs.writeFileSync(issuer.jwksFile, JSON.stringify(jwks, null, 2));
    return issuer;
  }

  get tenantId(): string {
    return this.state.tenantId;
  }

  /** The identity's object id (`oid`), as a managed identity's service principal has one. */
  get objectId(): string {
    return this.state.objectId;
  }

  /** A JWT like Entra's v1 access tokens for an app identity, RS256-signed. */
  mint(options: MintOptions): string {
    const now = Date.now();
    const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
    const notBefore = options.notBefore ?? new Date(now - 60_000);
    const claims = {
      aud: options.audience,
      iss: options.issuer ?? this.issuer,
      iat: seconds(notBefore),
      nbf: seconds(notBefore),
      exp: seconds(options.expiresAt ?? new Date(now + 3600_000)),
      appid: this.state.clientId,
      appidacr: '2',
      idtyp: 'app',
      oid: this.state.objectId,
      sub: this.state.objectId,
      tid: this.state.tenantId,
      uti: randomBytes(12).toString('base64url'),
      ver: '1.0',
    };
    const head = { alg: 'RS256', typ: 'JWT', kid: this.state.kid };
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const data = `${encode(head)}.${encode(claims)}`;
    const signature = createSign('RSA-SHA256')
      .update(data)
      .sign(options.signingKey ?? this.privateKey);
    return `${data}.${signature.toString('base64url')}`;
  }

  /** A TokenCredential over this issuer, for code in the test's own process. */
  credential(
    mint: (resource: string) => string = (audience) => this.mint({ audience }),
  ): TokenCredential {
    return {
      getToken: (scopes: string | string[]): Promise<AccessToken> => {
        const scope = Array.isArray(scopes) ? scopes[0] : scopes;
        return Promise.resolve({
          token: mint(resourceOfScope(scope)),
          expiresOnTimestamp: Date.now() + 3600_000,
        });
      },
    };
  }

  /**
   * The App Service managed-identity protocol on loopback (GET ?resource=…&api-version=2019-08-01
   * with the X-IDENTITY-HEADER secret), so a worker's DefaultAzureCredential signs in here.
   * `mint` decides each token (a test may hand out bad ones).
   */
  async serveManagedIdentity(
    mint: (resource: string) => string = (audience) => this.mint({ audience }),
  ): Promise<ManagedIdentityEndpoint> {
    const secret = randomBytes(16).toString('hex');
    const issued: IssuedToken[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const resource = url.searchParams.get('resource');
      res.setHeader('content-type', 'application/json');
      if (req.headers['x-identity-header'] !== secret || !resource) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_request' }));
        return;
      }
      const token = mint(resource);
      issued.push({ resource, token });
      res.end(
        JSON.stringify({
          access_token: token,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource,
          token_type: 'Bearer',
          client_id: this.state.clientId,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      env: {
        IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`,
        IDENTITY_HEADER: secret,
      },
      issued,
      stop: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
}
