import type { RequestContext } from './types';

/** As the service sends it (recorded answers of 2022-2023); bodies are UTF-8 JSON. */
export const JSON_CONTENT_TYPE = 'application/json;odata=minimalmetadata';

/** Headers every Batch response carries. */
export function baseHeaders(ctx: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {
    'request-id': ctx.requestId,
    DataServiceVersion: '3.0',
  };
  if (ctx.returnClientRequestId && ctx.clientRequestId) {
    headers['client-request-id'] = ctx.clientRequestId;
  }
  return headers;
}

export function writeResponse(
  ctx: RequestContext,
  status: number,
  headers: Record<string, string>,
  body?: unknown,
): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  const all: Record<string, string> = { ...baseHeaders(ctx), ...headers };
  // HEAD, 204 and 304 answers carry no body.
  if (body === undefined || ctx.req.method === 'HEAD' || status === 204 || status === 304) {
    if (body !== undefined && status !== 304 && status !== 204)
      all['Content-Type'] = JSON_CONTENT_TYPE;
    res.writeHead(status, all);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  all['Content-Type'] = JSON_CONTENT_TYPE;
  all['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(status, all);
  res.end(text);
}
