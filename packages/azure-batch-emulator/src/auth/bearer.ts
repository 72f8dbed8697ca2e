import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Errors } from '../errors';
import type { Authenticator, AuthOutcome, AuthRequest } from './types';

/**
 * The audience Batch accepts. Batch compares it exactly, trailing slash included: a token for
 * `https://batch.core.windows.net` (what the scope `https://batch.core.windows.net/.default`
 * yields) is refused with "It should exactly match (including forward slash) with one of the
 * allowed audiences 'https://batch.core.windows.net/'" (Azure/azure-sdk-for-net#8026,
 * AzureAD/microsoft-authentication-library-for-js#1735).
 */
export const BATCH_AUDIENCE = 'https://batch.core.windows.net/';

/** Microsoft.IdentityModel's default clock skew, which Entra-protected services apply. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

export interface TrustedKey {
  /** The JWK `kid`, when the key came from a JWKS; a token's `kid` must then match. */
  kid?: string;
  key: KeyObject;
}

/** Whom bearer tokens are trusted from: an issuer and its RS256 public key(s). */
export interface TokenTrust {
  issuer: string;
  keys: TrustedKey[];
  /** Default: [BATCH_AUDIENCE]. */
  audiences?: string[];
  clockSkewSeconds?: number;
}

/**
 * Public keys from a file's text: a PEM public key (or certificate), a JWKS (`{"keys": [...]}`)
 * or a single JWK. Only RSA keys are kept (tokens are verified as RS256).
 */
export function parseTrustedKeys(text: string): TrustedKey[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const key = createPublicKey(trimmed);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('the trusted token key must be RSA');
    return [{ key }];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new Error('the trusted token key must be a PEM public key, a JWKS or a JWK');
  }
  const jwks = (parsed as { keys?: unknown }).keys;
  const list = (Array.isArray(jwks) ? jwks : [parsed]) as (JsonWebKey & { kid?: string })[];
  const keys = list
    .filter((jwk) => jwk.kty === 'RSA')
    .map((jwk) => ({ kid: jwk.kid, key: createPublicKey({ key: jwk, format: 'jwk' }) }));
  if (keys.length === 0) throw new Error('the trusted token key file holds no RSA key');
  return keys;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const fail = (detail: string): AuthOutcome => ({
  kind: 'fail',
  error: Errors.invalidBearerToken(detail),
});

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Batch's Microsoft Entra ID authentication: `Authorization: Bearer <JWT>`, RS256-signed by a
 * trusted key, from the trusted issuer, for the Batch audience, within its lifetime. Any
 * failure is a 401 AuthenticationFailed whose AuthenticationErrorDetail says what is wrong.
 * Who may do what (Azure RBAC) is not emulated: a valid token may do everything.
 */
export class BearerAuthenticator implements Authenticator {
  private readonly audiences: string[];
  private readonly skewMs: number;

  constructor(
    private readonly trust: TokenTrust | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.audiences = trust?.audiences ?? [BATCH_AUDIENCE];
    this.skewMs = (trust?.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  }

  authenticate(req: AuthRequest): AuthOutcome {
    const authorization = header(req.headers, 'authorization');
    const m = /^Bearer(?:\s+(.*))?$/i.exec(authorization);
    if (!m) return { kind: 'skip' };
    const token = (m[1] ?? '').trim();
    if (!token) return fail('The authorization header is missing access token.');
    if (!this.trust) {
      return fail(
        'This emulator trusts no token issuer: start it with --trusted-token-key and ' +
          '--token-issuer (BATCH_EMULATOR_TOKEN_KEY, BATCH_EMULATOR_TOKEN_ISSUER) to accept bearer tokens.',
      );
    }
    const parts = token.split('.');
    const head = parts.length === 3 ? decodeSegment(parts[0]) : undefined;
    const claims = parts.length === 3 ? decodeSegment(parts[1]) : undefined;
    if (!head || !claims) return fail('The access token is not a well-formed JWT.');
    if (head.alg !== 'RS256') {
      return fail(`The access token's signing algorithm '${String(head.alg)}' is not RS256.`);
    }
    const candidates = this.trust.keys.filter(
      (k) => k.kid === undefined || head.kid === undefined || k.kid === head.kid,
    );
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    if (!candidates.some((k) => verify('RSA-SHA256', signed, k.key, signature))) {
      return fail('The access token signature is invalid: it is not signed by a trusted key.');
    }
    if (claims.iss !== this.trust.issuer) {
      return fail(
        `The access token is from the wrong issuer '${String(claims.iss)}'. ` +
          `It must be '${this.trust.issuer}'.`,
      );
    }
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && this.audiences.includes(a))) {
      return fail(
        `The access token has been obtained from wrong audience or resource '${aud.join(', ')}'. ` +
          'It should exactly match (including forward slash) with one of the allowed audiences ' +
          this.audiences.map((a) => `'${a}'`).join(', '),
      );
    }
    const now = this.now();
    if (typeof claims.exp !== 'number') return fail('The access token has no expiry (exp).');
    if (now > claims.exp * 1000 + this.skewMs) {
      return fail(
        `The access token expiry UTC time '${iso(claims.exp)}' is earlier than current UTC ` +
          `time '${new Date(now).toISOString()}'.`,
      );
    }
    if (typeof claims.nbf === 'number' && now < claims.nbf * 1000 - this.skewMs) {
      return fail(
        `The access token is not yet valid: its not-before UTC time '${iso(claims.nbf)}' is ` +
          `later than current UTC time '${new Date(now).toISOString()}'.`,
      );
    }
    return { kind: 'pass' };
  }
}
