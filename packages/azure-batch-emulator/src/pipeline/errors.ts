import { BatchServiceError, errorBody, Errors } from '../errors';
import type { Stats } from '../stats';
import { writeResponse } from './respond';
import type { Middleware } from './types';

/** Every failure becomes Batch's flat error body; anything unexpected is a 500 InternalError. */
export function errorsMiddleware(stats: Stats, log: (line: string) => void): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      let error: BatchServiceError;
      if (err instanceof BatchServiceError) {
        error = err;
      } else {
        log(
          `internal error in ${ctx.operation}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        error = Errors.internalError();
      }
      stats.record(ctx.operation, error.status);
      // A response fault decided for this request applies to its error answer too.
      const faults = ctx.responseFaults;
      if (faults && faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
      if (faults?.drop) {
        stats.fault('lostResponse');
        ctx.res.destroy();
        return;
      }
      if (ctx.res.headersSent) {
        ctx.res.destroy();
        return;
      }
      writeResponse(ctx, error.status, error.headers, errorBody(error, ctx.requestId, ctx.baseUrl));
    }
  };
}
