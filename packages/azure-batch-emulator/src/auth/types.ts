import type { IncomingHttpHeaders } from 'node:http';
import type { BatchServiceError } from '../errors';

export interface AuthRequest {
  method: string;
  /** The request path as received, still percent-encoded. */
  rawPath: string;
  /** Query parameters, names as sent and values decoded. */
  query: [string, string][];
  headers: IncomingHttpHeaders;
}

/** yes / no / not-my-scheme, so authenticators can be chained. */
export type AuthOutcome =
  { kind: 'pass' } | { kind: 'fail'; error: BatchServiceError } | { kind: 'skip' };

export interface Authenticator {
  authenticate(req: AuthRequest): AuthOutcome;
}
