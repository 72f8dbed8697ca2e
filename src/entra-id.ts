// Microsoft Entra ID for Batch and Storage when no account keys are configured: tokens from a
// TokenCredential (DefaultAzureCredential in the worker), a credentials object @azure/batch 10.x
// can sign with, failures that say what to fix, and what the services are told to fix when they
// refuse the identity. Tokens stay in memory: never logged, never returned to a workflow.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { WebResourceLike } from '@azure/ms-rest-js';

/**
 * Batch's scope. Entra derives the resource by dropping `/.default`, and Batch accepts exactly
 * the audience `https://batch.core.windows.net/` (trailing slash included), hence the double
 * slash, as Microsoft's own Batch SDKs (@azure/batch 12+, Azure.Compute.Batch) request it. The
 * single-slash scope gets a token for `https://batch.core.windows.net`, which Batch refuses.
 */
export const BATCH_SCOPE = 'https://batch.core.windows.net//.default';
export const BATCH_AUDIENCE = 'https://batch.core.windows.net/';
/** What @azure/storage-blob asks for by default (the audience `https://storage.azure.com`). */
export const STORAGE_SCOPE = 'https://storage.azure.com/.default';

/** A token is renewed this long before it expires (unless the credential says earlier). */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;

/** Getting a token failed: `permanent` when retrying cannot help (no identity found, refused). */
export class EntraTokenError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'EntraTokenError';
  }
}

function firstLines(text: string, max = 400): string {
  const compact = text.split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ').trim();
  return compact.length > max ? `${compact.slice(0, max)}…` : compact;
}

/** @azure/identity's errors, by name (no import of the library needed to read them). */
function toTokenError(err: unknown, scope: string): EntraTokenError {
  if (err instanceof EntraTokenError) return err;
  const e = err as { name?: string; message?: string; statusCode?: number };
  const unavailable =
    e.name === 'CredentialUnavailableError' || e.name === 'AggregateAuthenticationError';
  const refused =
    e.name === 'AuthenticationError' && [400, 401, 403].includes(Number(e.statusCode));
  const what = unavailable
    ? 'found no identity to sign in with'
    : refused
      ? 'was refused a token'
      : 'could not get a token';
  return new EntraTokenError(
    `Microsoft Entra ID: the worker ${what} for ${scope} (DefaultAzureCredential): ` +
      `${firstLines(e.message ?? String(err))}. Sign the worker in: a managed identity or ` +
      'workload identity, AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or `az login` ' +
      '(README: Real Azure).',
    unavailable || refused,
  );
}

/** Claims that name an identity (never the token itself). */
export interface TokenIdentity {
  audience?: string;
  tenantId?: string;
  objectId?: string;
  appId?: string;
  user?: string;
}

/** The naming claims of a JWT access token, if it is one (Entra's are). */
export function identityOf(token: string): TokenIdentity {
  try {
    const claims = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      audience: Array.isArray(claims.aud) ? claims.aud.join(',') : str(claims.aud),
      tenantId: str(claims.tid),
      objectId: str(claims.oid),
      appId: str(claims.appid) ?? str(claims.azp),
      user: str(claims.upn) ?? str(claims.unique_name),
    };
  } catch {
    return {};
  }
}

/**
 * One scope's token from a TokenCredential: cached until shortly before it expires, one request
 * at a time, the previous token kept while still valid if a renewal fails.
 */
export class CachedToken {
  private current?: AccessToken;
  private pending?: Promise<AccessToken>;

  constructor(
    private readonly credential: TokenCredential,
    readonly scope: string,
    private readonly now: () => number = Date.now,
  ) {}

  private renewAt(token: AccessToken): number {
    const byExpiry = token.expiresOnTimestamp - RENEW_BEFORE_EXPIRY_MS;
    return Math.min(token.refreshAfterTimestamp ?? byExpiry, byExpiry);
  }

  async get(options?: GetTokenOptions): Promise<AccessToken> {
    // A claims challenge (continuous access evaluation) asks for a new token, not the cached one.
    if (options?.claims) return this.fetch(options);
    const current = this.current;
    if (current && this.now() < this.renewAt(current)) return current;
    this.pending ??= this.fetch(options).finally(() => (this.pending = undefined));
    try {
      return await this.pending;
    } catch (err) {
      // A failed renewal is no reason to drop a token that still works.
      if (current && this.now() < current.expiresOnTimestamp - 30_000) return current;
      throw err;
    }
  }

  /** Who the last token was for (its naming claims), to say which identity a service refused. */
  identity(): TokenIdentity | undefined {
    return this.current ? identityOf(this.current.token) : undefined;
  }

  private async fetch(options?: GetTokenOptions): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      token = await this.credential.getToken(this.scope, options);
    } catch (err) {
      throw toTokenError(err, this.scope);
    }
    if (!token) throw toTokenError(new Error('the credential returned no token'), this.scope);
    this.current = token;
    return token;
  }
}

/**
 * The credentials object @azure/batch 10.x's BatchServiceClient calls for every request:
 * `Authorization: Bearer <token for https://batch.core.windows.net/>`.
 */
export class BatchBearerCredentials {
  readonly token: CachedToken;

  constructor(credential: TokenCredential) {
    this.token = new CachedToken(credential, BATCH_SCOPE);
  }

  async signRequest(webResource: WebResourceLike): Promise<WebResourceLike> {
    const { token } = await this.token.get();
    webResource.headers.set('authorization', `Bearer ${token}`);
    return webResource;
  }
}

/**
 * The storage client's TokenCredential: the same credential through a CachedToken, so a failure
 * says what to fix and a refusal can name the identity. (The client caches tokens too.)
 */
export class StorageTokenCredential implements TokenCredential {
  readonly token: CachedToken;

  constructor(private readonly credential: TokenCredential) {
    this.token = new CachedToken(credential, STORAGE_SCOPE);
  }

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes[0] : scopes;
    return scope === STORAGE_SCOPE
      ? this.token.get(options)
      : new CachedToken(this.credential, scope).get(options);
  }
}

function describeIdentity(identity: TokenIdentity | undefined): string {
  if (!identity) return "the worker's identity (DefaultAzureCredential)";
  const parts = [
    identity.user && `user ${identity.user}`,
    identity.objectId && `object id ${identity.objectId}`,
    identity.appId && `app id ${identity.appId}`,
    identity.tenantId && `tenant ${identity.tenantId}`,
  ].filter(Boolean);
  return `the worker's identity (${parts.join(', ') || 'DefaultAzureCredential'})`;
}

/** With Entra ID: what to fix when Batch or Storage refuses the worker's identity. */
export class EntraAccess {
  constructor(
    private readonly batch: BatchBearerCredentials,
    private readonly storage: StorageTokenCredential,
  ) {}

  advice(service: 'batch' | 'storage', status: number): string {
    const token = service === 'batch' ? this.batch.token : this.storage.token;
    const identity = token.identity();
    const who = describeIdentity(identity);
    const audience = identity?.audience ? `, whose audience is ${identity.audience}` : '';
    if (service === 'batch') {
      return status === 401
        ? `Batch refused the Microsoft Entra ID token of ${who}${audience}: it must be for ` +
            `${BATCH_AUDIENCE} (scope ${BATCH_SCOPE}), unexpired, and from the Batch account's tenant`
        : `${who} may not use this Batch account: give it the 'Azure Batch Data Contributor' ` +
            'role on the Batch account (Access control (IAM))';
    }
    return status === 401
      ? `Storage refused the Microsoft Entra ID token of ${who}${audience}: it must be for ` +
          "https://storage.azure.com, unexpired, and from the storage account's tenant"
      : `${who} may not use this storage account: give it the 'Storage Blob Data Contributor' ` +
          'role on the storage account (Access control (IAM)); it includes getting the user ' +
          "delegation key that signs the tasks' SAS URLs";
  }
}

/** Everything Entra ID mode signs with, over one TokenCredential. */
export function entraIdCredentials(credential: TokenCredential) {
  const batch = new BatchBearerCredentials(credential);
  const storage = new StorageTokenCredential(credential);
  return { batch, storage, access: new EntraAccess(batch, storage) };
}
