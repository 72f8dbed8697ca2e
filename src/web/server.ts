// The live page of one run, served by node:http: the page itself, its state as JSON, a stream
// of server-sent events (one per refresh of the shared monitor) and the two buttons' actions.
// On loopback by default; elsewhere only with a token, which every request must carry.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunMonitor, RunView } from './monitor';

/** What the server needs of the monitor (a test may give another). */
export type ViewSource = Pick<RunMonitor, 'current' | 'subscribe' | 'poke'>;
import { PAGE_HTML } from './page';

/** What the buttons do: the client's own approve-cleanup and cancel. */
export interface RunActions {
  approveCleanup(keep: { keepJob: boolean; keepPool: boolean }): Promise<string>;
  cancel(reason: string): Promise<string>;
}

/** An action refused for a reason the person can act on (the run ended, a bad payload). */
export class ActionRefused extends Error {}

export interface ServeOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Required by every request when set (`?token=` or the `x-token` header). */
  token?: string;
}

export interface RunPageServer {
  /** The page's address, with the token when there is one. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

const MAX_BODY = 16 * 1024;

export async function serveRunPage(
  monitor: ViewSource,
  actions: RunActions,
  options: ServeOptions,
): Promise<RunPageServer> {
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://page');
    if (!allowed(req, url)) {
      send(res, 403, {
        error: 'a valid token is required (open the link the watch command printed)',
      });
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          // The page runs only its own inline script and talks only to this server.
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        });
        res.end(PAGE_HTML);
        return;
      case 'GET /api/state':
        send(res, 200, monitor.current());
        return;
      case 'GET /events':
        openStream(res);
        return;
      case 'POST /api/approve-cleanup':
      case 'POST /api/cancel':
        await act(req, res, url.pathname);
        return;
      default:
        send(res, 404, { error: `no such page: ${route}` });
    }
  }

  function allowed(req: http.IncomingMessage, url: URL): boolean {
    if (options.token) {
      const given = url.searchParams.get('token') ?? header(req, 'x-token') ?? '';
      const a = Buffer.from(given);
      const b = Buffer.from(options.token);
      return a.length === b.length && timingSafeEqual(a, b);
    }
    // Without a token only a page of this very address may call (no DNS rebinding, no other
    // site posting to the buttons): the Host names loopback, and an Origin, if sent, matches.
    const host = (header(req, 'host') ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (!isLoopback(host)) return false;
    const origin = header(req, 'origin');
    return origin === undefined || origin === `http://${header(req, 'host')}`;
  }

  function openStream(res: http.ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // Reconnect soon after a restart of this process (the browser retries on its own).
    res.write('retry: 2000\n\n');
    streams.add(res);
    const unsubscribe = monitor.subscribe((view: RunView) => {
      res.write(`data: ${JSON.stringify(view)}\n\n`);
    });
    res.on('close', () => {
      unsubscribe();
      streams.delete(res);
    });
  }

  async function act(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    // JSON only: a cross-site form cannot send it without a preflight this server never answers.
    if (!(header(req, 'content-type') ?? '').startsWith('application/json')) {
      send(res, 415, { error: 'send application/json' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error();
    } catch {
      send(res, 400, { error: 'the body must be a JSON object' });
      return;
    }
    try {
      const said =
        path === '/api/cancel'
          ? await actions.cancel(
              typeof body.reason === 'string' && body.reason.trim()
                ? body.reason.trim()
                : 'cancelled from the live page',
            )
          : await actions.approveCleanup({
              keepJob: body.keepJob === true,
              keepPool: body.keepPool === true,
            });
      send(res, 200, { message: said });
      void monitor.poke();
    } catch (err) {
      const status = err instanceof ActionRefused ? 409 : 500;
      send(res, status, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const token = options.token ? `?token=${encodeURIComponent(options.token)}` : '';
  return {
    url: `http://${host}:${port}/${token}`,
    async close() {
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
