import type { Authenticator } from '../auth/types';
import { Errors } from '../errors';
import type { Middleware } from './types';

/** Asks each authenticator in turn; the first yes or no decides, all skipping means no. */
export function authenticationMiddleware(authenticators: Authenticator[]): Middleware {
  return async (ctx, next) => {
    const request = {
      method: ctx.req.method ?? 'GET',
      rawPath: ctx.rawPath,
      query: [...ctx.url.searchParams.entries()],
      headers: ctx.req.headers,
    };
    for (const auth of authenticators) {
      const outcome = auth.authenticate(request);
      if (outcome.kind === 'pass') return next();
      if (outcome.kind === 'fail') throw outcome.error;
    }
    throw Errors.authenticationFailed(
      'The request is not signed: the Authorization header is missing or uses an unsupported scheme.',
    );
  };
}
