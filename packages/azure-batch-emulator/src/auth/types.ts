import type { IncomingHttpHeaders } from 'node:http';
import type { BatchServiceError } from '../errors';

export interface AuthRequest {
  method: string;
  /** The request path as received, still percent-encoded. */
  rawPath: string;
  /** Query parameters in the order sent, names as sent (not lower-cased) and values decoded. */
  query: [string, string][];
  headers: IncomingHttpHeaders;
}

/** yes / no / not-my-scheme, so authenticators can be chained. */
export type AuthOutcome =
  { kind: 'pass' } | { kind: 'fail'; error: BatchServiceError } | { kind: 'skip' };

/** One scheme (SharedKey, Bearer, ...); chained by the authentication middleware. */
export interface Authenticator {
  /** `skip` when the Authorization header is not this scheme's; may answer asynchronously. */
  authenticate(req: AuthRequest): AuthOutcome | Promise<AuthOutcome>;
}
