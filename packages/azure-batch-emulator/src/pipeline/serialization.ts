import { createReadStream } from 'node:fs';
import type { Stats } from '../stats';
import { adaptResponseBody } from '../wire/api-versions';
import { present } from '../wire/present';
import { writeModel, writeSelected, type MapperName } from '../wire/serializer';
import { baseHeaders, writeResponse } from './respond';
import type { Middleware, RequestContext, ResponseBody } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One model on the wire: presented, then written whole or (a `$select`) only as selected. */
function wireModel(mapper: MapperName, model: object, select: string[] | undefined) {
  const presented = present(mapper, model);
  return select ? writeSelected(mapper, presented, select) : writeModel(mapper, presented);
}

function toWire(body: Exclude<ResponseBody, { kind: 'file' }>): Record<string, unknown> {
  switch (body.kind) {
    case 'entity':
      return {
        'odata.metadata': body.metadata,
        ...wireModel(body.mapper, body.model, body.select),
      };
    case 'list': {
      const out: Record<string, unknown> = {
        'odata.metadata': body.metadata,
        value: body.models.map((m) => wireModel(body.mapper, m, body.select)),
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
