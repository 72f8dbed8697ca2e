import { createReadStream } from 'node:fs';
import type { Stats } from '../stats';
import { adaptResponseBody } from '../wire/api-versions';
import { present } from '../wire/present';
import { modelWriter } from '../wire/serializer';
import { baseHeaders, writeResponse } from './respond';
import type { Middleware, RequestContext, ResponseBody } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toWire(body: Exclude<ResponseBody, { kind: 'file' }>): Record<string, unknown> {
  switch (body.kind) {
    case 'entity': {
      const write = modelWriter(body.mapper, body.select);
      return { 'odata.metadata': body.metadata, ...write(present(body.mapper, body.model)) };
    }
    case 'list': {
      const write = modelWriter(body.mapper, body.select);
      const out: Record<string, unknown> = {
        'odata.metadata': body.metadata,
        value: body.models.map((m) => write(present(body.mapper, m))),
      };
      if (body.nextLink) out['odata.nextLink'] = body.nextLink;
      return out;
    }
    case 'json':
      return body.value;
  }
}

function streamFile(
  ctx: RequestContext,
  status: number,
  headers: Record<string, string>,
  path: string,
  size: number,
) {
  const all = { ...baseHeaders(ctx), ...headers, 'Content-Length': String(size) };
  ctx.res.writeHead(status, all);
  if (ctx.req.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  createReadStream(path)
    .on('error', () => ctx.res.destroy())
    .pipe(ctx.res);
}

/** Turns a handler's result into the wire response, after any response fault. */
export function serializationMiddleware(stats: Stats): Middleware {
  return async (ctx, next) => {
    await next();
    const result = ctx.result;
    if (!result) return;
    stats.record(ctx.operation, result.status);
    const faults = ctx.responseFaults;
    if (faults && faults.delayMs > 0) await sleep(faults.delayMs);
    if (faults?.drop) {
      stats.fault('lostResponse');
      ctx.res.destroy();
      return;
    }
    const headers = result.headers ?? {};
    if (!result.body) {
      writeResponse(ctx, result.status, headers);
    } else if (result.body.kind === 'file') {
      streamFile(ctx, result.status, headers, result.body.path, result.body.size);
    } else {
      writeResponse(
        ctx,
        result.status,
        headers,
        adaptResponseBody(ctx.apiVersion, toWire(result.body)),
      );
    }
  };
}
