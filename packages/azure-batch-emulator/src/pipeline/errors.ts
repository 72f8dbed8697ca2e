import { BatchServiceError, errorBody, Errors } from '../errors';
import type { Stats } from '../stats';
import { isSupportedApiVersion } from '../wire/api-versions';
import { writeResponse } from './respond';
import type { Middleware, RequestContext } from './types';

function answer(ctx: RequestContext, error: BatchServiceError): void {
  writeResponse(ctx, error.status, error.headers, errorBody(error, ctx.requestId, ctx.baseUrl));
}

/**
 * Answers 408 (Connection: close) a request whose body has not arrived `timeoutMs` after it
 * began, so a stalled client holds its connection a bounded time. It fires only while the
 * emulator is waiting on the client: if bytes that arrived are still unread, the wait is the
 * emulator's own, and the clock starts again. Returns whether it fired, and a stop function.
 */
function watchRequest(
  ctx: RequestContext,
  timeoutMs: number,
  stats: Stats,
): { fired: () => boolean; stop: () => void } {
  const { req, res } = ctx;
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    if (req.complete || res.headersSent || res.destroyed || req.destroyed) return;
    if (req.readableLength > 0) {
      timer = setTimeout(check, timeoutMs);
      return;
    }
    fired = true;
    stats.record(ctx.operation, 408);
    // Node closes the connection once this answer is out (Connection: close); the body reader
    // then fails, and the catch below knows the request was already answered.
    answer(ctx, Errors.requestTimeout(Math.round(timeoutMs / 100) / 10));
  };
  if (!req.complete) timer = setTimeout(check, timeoutMs);
  return { fired: () => fired, stop: () => clearTimeout(timer) };
}

/** The client hung up before its request arrived in full (not the emulator's failure). */
function clientGone(ctx: RequestContext): boolean {
  return !ctx.req.complete && (ctx.req.destroyed || ctx.req.socket.destroyed);
}

/**
 * The outer layer: counts the request's api-version, bounds how long a client may take to send
 * its request, and turns every failure into Batch's flat error body, anything unexpected into a
 * 500 InternalError. A client that hung up is counted as `disconnected`, not as a failure.
 */
export function errorsMiddleware(
  stats: Stats,
  log: (line: string) => void,
  requestTimeoutMs: number,
): Middleware {
  return async (ctx, next) => {
    const version = ctx.apiVersion;
    stats.apiVersion(
      version === '' ? 'missing' : isSupportedApiVersion(version) ? version : 'unsupported',
    );
    const watch = watchRequest(ctx, requestTimeoutMs, stats);
    try {
      await next();
    } catch (err) {
      if (watch.fired()) return;
      if (clientGone(ctx)) {
        stats.clientGone(ctx.operation);
        ctx.res.destroy();
        return;
      }
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
      answer(ctx, error);
    } finally {
      watch.stop();
    }
  };
}
