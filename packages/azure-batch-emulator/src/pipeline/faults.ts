import { Errors } from '../errors';
import type { FaultInjector } from '../faults';
import type { Stats } from '../stats';
import type { Middleware } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Injected failures, decided once the operation is known. Failures before the handler mean the
 * operation did not happen; response faults (delay, drop) apply after it did.
 */
export function faultsMiddleware(faults: FaultInjector, stats: Stats): Middleware {
  return async (ctx, next) => {
    const slow = faults.slowDelay(ctx.operation);
    if (slow > 0) {
      stats.fault('slow');
      await sleep(slow);
    }
    const fault = faults.preHandler(ctx.operation);
    switch (fault.kind) {
      case 'connectionReset':
        stats.fault('connectionReset');
        stats.record(ctx.operation, 'reset');
        ctx.req.socket.destroy();
        return;
      case 'internalError':
        stats.fault('internalError');
        throw Errors.internalError();
      case 'serverBusy':
        stats.fault('serverBusy');
        throw Errors.serverBusy();
      case 'throttle': {
        stats.fault('throttle');
        const err = Errors.tooManyRequests();
        err.headers['Retry-After'] = String(fault.retryAfterSeconds);
        throw err;
      }
    }
    const response = faults.response(ctx.operation);
    if (response.delayMs > 0 || response.drop) ctx.responseFaults = response;
    await next();
  };
}
