import type { Middleware } from './types';

/** Runs the matched operation's handler. */
export const handlerMiddleware: Middleware = async (ctx, next) => {
  const matched = ctx.route;
  if (!matched) return next();
  ctx.result = await matched.route.handler({
    name: matched.route.operation,
    params: matched.params,
    query: ctx.url.searchParams,
    headers: ctx.req.headers,
    body: ctx.body,
    apiVersion: ctx.apiVersion,
    baseUrl: ctx.baseUrl,
    rawPath: ctx.rawPath,
  });
  await next();
};
