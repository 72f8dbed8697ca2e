import type { Middleware } from './types';

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Acknowledged means persisted: a change a client was told about (a pool, a job, the tasks of an
 * addCollection) is in the state file before the answer leaves, so a crash right after cannot
 * lose it. Concurrent requests share one write. Changes the emulator makes on its own (task and
 * node states) stay debounced: after a crash they replay, as on a rebooted node.
 */
export function durabilityMiddleware(persist: () => Promise<void>): Middleware {
  return async (ctx, next) => {
    await next();
    if (!READ_ONLY.has(ctx.req.method ?? 'GET')) await persist();
  };
}
