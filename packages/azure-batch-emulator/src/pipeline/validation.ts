import type { IncomingMessage } from 'node:http';
import { Errors } from '../errors';
import { adaptRequestBody, isSupportedApiVersion } from '../wire/api-versions';
import type { Middleware } from './types';

/** Batch refuses request bodies over 1 MB (addtaskcollection documents it). */
export const MAX_BODY_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? 'too-large' : Buffer.concat(chunks);
}

/** api-version, query values, and the JSON body (read, parsed, brought to the current shape). */
export const validationMiddleware: Middleware = async (ctx, next) => {
  const version = ctx.url.searchParams.get('api-version');
  if (version === null || version === '') throw Errors.missingApiVersion();
  if (!isSupportedApiVersion(version)) throw Errors.unsupportedApiVersion(version);

  const timeout = ctx.url.searchParams.get('timeout');
  if (timeout !== null && !/^\d+$/.test(timeout)) {
    throw Errors.invalidQuery('timeout', timeout, 'must be a whole number of seconds');
  }

  const raw = await readBody(ctx.req);
  if (raw === 'too-large') throw Errors.requestBodyTooLarge();
  if (raw.length > 0) {
    const type = ctx.req.headers['content-type'] ?? '';
    const isJson =
      type === '' ||
      type
        .split(';')
        .map((s) => s.trim().toLowerCase())
        .some((s) => s === 'application/json' || s === 'text/json');
    if (!isJson) throw Errors.invalidHeader('Content-Type', type);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw Errors.invalidRequestBody(err instanceof Error ? err.message : 'not JSON');
    }
    ctx.body = adaptRequestBody(version, parsed);
  }
  await next();
};
