import type { Authenticator, AuthRequest } from '../auth/types';
import { Errors } from '../errors';
import type { Middleware, RequestContext } from './types';

/** The request as the client sent and signed it: query names as sent (ctx.url lower-cases them). */
export function authRequest(ctx: RequestContext): AuthRequest {
  const search = new URL(ctx.req.url ?? '/', 'http://signed.invalid').searchParams;
  return {
    method: ctx.req.method ?? 'GET',
    rawPath: ctx.rawPath,
    query: [...search.entries()],
    headers: ctx.req.headers,
  };
}

/**
 * Asks each authenticator in turn (SharedKey, and whatever else is given); the first yes or no
 * decides, all answering "not my scheme" means no.
 */
export function authenticationMiddleware(authenticators: Authenticator[]): Middleware {
  return async (ctx, next) => {
    const request = authRequest(ctx);
    for (const auth of authenticators) {
      const outcome = await auth.authenticate(request);
      if (outcome.kind === 'pass') return next();
      if (outcome.kind === 'fail') throw outcome.error;
    }
    throw Errors.authenticationFailed(
      'The request is not signed: the Authorization header is missing or uses an unsupported scheme.',
    );
  };
}
