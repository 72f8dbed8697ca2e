import { Errors } from '../errors';
import type { Middleware, Route } from './types';

function match(route: Route, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i];
    if (seg.startsWith('{*')) {
      if (i >= parts.length) return undefined;
      params[seg.slice(2, -1)] = parts.slice(i).join('/');
      return params;
    }
    if (i >= parts.length) return undefined;
    if (seg.startsWith('{')) params[seg.slice(1, -1)] = parts[i];
    else if (seg.toLowerCase() !== parts[i].toLowerCase()) return undefined;
  }
  return parts.length === route.segments.length ? params : undefined;
}

/** Finds the REST operation for method and path; path segments are decoded one by one. */
export function dispatchMiddleware(routes: Route[]): Middleware {
  return async (ctx, next) => {
    let parts: string[];
    try {
      parts = ctx.rawPath
        .split('/')
        .filter((p) => p !== '')
        .map((p) => decodeURIComponent(p));
    } catch {
      throw Errors.invalidQuery('path', ctx.rawPath, 'malformed percent-encoding');
    }
    const method = ctx.req.method ?? 'GET';
    for (const route of routes) {
      if (route.method !== method) continue;
      const params = match(route, parts);
      if (params) {
        ctx.route = { route, params };
        ctx.operation = route.operation;
        return next();
      }
    }
    throw Errors.notImplemented(method, ctx.rawPath);
  };
}
