import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware, RequestContext } from './types';

/**
 * The request URL with every query parameter name lower-cased: Batch matches names
 * case-insensitively (`maxResults`, `maxresults`; 2025-06-01 clients send `timeOut`), so every
 * reader of `ctx.url.searchParams` asks for one form. Values and their order are kept. What the
 * client sent stays in `ctx.req.url` (the signature is checked over that).
 */
function withLowerCaseQueryNames(url: URL): URL {
  if (url.search === '') return url;
  const lowered = new URLSearchParams();
  for (const [name, value] of url.searchParams) lowered.append(name.toLowerCase(), value);
  const out = new URL(url.href);
  out.search = lowered.toString();
  return out;
}

export function newContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  const host = req.headers.host ?? '127.0.0.1';
  const rawUrl = req.url ?? '/';
  const url = withLowerCaseQueryNames(new URL(rawUrl, `http://${host}`));
  return {
    req,
    res,
    requestId: randomUUID(),
    url,
    rawPath: rawUrl.split('?')[0],
    baseUrl: `http://${host}`,
    apiVersion: '',
    returnClientRequestId: false,
    operation: 'Unknown',
    body: undefined,
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Request id, api-version and the client's request id (either header name, see reference 6). */
export const contextMiddleware: Middleware = async (ctx, next) => {
  const h = ctx.req.headers;
  ctx.apiVersion = ctx.url.searchParams.get('api-version') ?? '';
  ctx.clientRequestId = first(h['client-request-id']) ?? first(h['x-ms-client-request-id']);
  ctx.returnClientRequestId = (first(h['return-client-request-id']) ?? '').toLowerCase() === 'true';
  await next();
};
