import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { EMULATOR_SERVICE_NAME, EMULATOR_VERSION } from './config';
import { BatchServiceError } from './errors';
import type { FaultInjector } from './faults';

/** What the control plane needs from the emulator. */
export interface AdminTarget {
  faults: FaultInjector;
  url(): string;
  accountName: string;
  stats(): unknown;
  reset(): Promise<void>;
  /** Preempts one node, or `count` low-priority nodes of the pool when nodeId is undefined. */
  preempt(poolId: string, nodeId: string | undefined, count: number): string[];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
}

/**
 * The control plane under /_emulator/: health, stats, reset, faults, preemption. No auth, but
 * loopback callers only. It is not part of the Batch API and never counts in its statistics.
 */
export async function handleAdmin(target: AdminTarget, req: IncomingMessage, res: ServerResponse) {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
    send(res, 403, { error: 'the control plane answers loopback callers only' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const path = parts.join('/');
  try {
    if (method === 'GET' && path === 'health') {
      send(res, 200, {
        service: EMULATOR_SERVICE_NAME,
        version: EMULATOR_VERSION,
        url: target.url(),
        accountName: target.accountName,
      });
    } else if (method === 'GET' && path === 'stats') {
      send(res, 200, target.stats());
    } else if (method === 'POST' && path === 'reset') {
      await target.reset();
      send(res, 200, { reset: true });
    } else if (path === 'faults' && method === 'GET') {
      send(res, 200, target.faults.get());
    } else if (path === 'faults' && method === 'PUT') {
      send(res, 200, target.faults.replace(await readJson(req)));
    } else if (path === 'faults' && method === 'PATCH') {
      send(res, 200, target.faults.merge(await readJson(req)));
    } else if (method === 'POST' && parts[0] === 'pools' && parts[parts.length - 1] === 'preempt') {
      // pools/{poolId}/nodes/{nodeId}/preempt or pools/{poolId}/preempt?count=N
      const nodeId = parts.length === 5 && parts[2] === 'nodes' ? parts[3] : undefined;
      if (parts.length !== 3 && nodeId === undefined) {
        send(res, 404, { error: `no control endpoint ${method} ${url.pathname}` });
        return;
      }
      const count = Number(url.searchParams.get('count') ?? '1');
      send(res, 202, { preempted: target.preempt(parts[1], nodeId, count) });
    } else {
      send(res, 404, { error: `no control endpoint ${method} ${url.pathname}` });
    }
  } catch (err) {
    if (err instanceof ZodError || err instanceof SyntaxError) {
      send(res, 400, { error: err.message });
    } else if (err instanceof BatchServiceError) {
      send(res, err.status, { code: err.code, error: err.message });
    } else {
      send(res, 500, { error: String(err) });
    }
  }
}
