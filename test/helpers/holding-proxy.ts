// An HTTP proxy on loopback in front of a local service (Azurite has no faults of its own): the
// requests `hold` picks wait (`holdMs`, or until `release` settles) before they are passed on,
// so a test can act while a request is on its way but not yet acted on; those `refuse` picks are
// answered by the proxy itself, as the service answers when it is busy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  port: number;
  /** Requests held so far, and how many of them the service has answered. */
  held: number;
  heldAnswered: number;
  /** Requests the proxy refused itself. */
  refused: number;
  /** Every request the service has answered, in order. */
  answered: Array<{ method: string; url: string; status: number }>;
  stop(): Promise<void>;
}

/** Which requests the proxy holds or refuses: each rule sees the request and the proxy so far. */
export interface ProxyRules {
  hold?: (request: http.IncomingMessage, proxy: HoldingProxy) => boolean;
  /** How long a held request waits at most. */
  holdMs?: number;
  /** When given, a held request goes on once this settles (or after holdMs, if sooner). */
  release?: (request: http.IncomingMessage) => Promise<void>;
  /** A status to answer with instead of the service (503: Storage's ServerBusy). */
  refuse?: (request: http.IncomingMessage, proxy: HoldingProxy) => number | undefined;
}

export async function startHoldingProxy(
  options: ProxyRules & { targetPort: number },
): Promise<HoldingProxy> {
  const { targetPort, hold, holdMs = 0, release, refuse } = options;
  const server = http.createServer((request, response) => {
    const refusal = refuse?.(request, proxy);
    if (refusal !== undefined) {
      proxy.refused++;
      const code = refusal === 503 ? 'ServerBusy' : 'InternalError';
      request.resume();
      response.writeHead(refusal, { 'content-type': 'application/xml', 'x-ms-error-code': code });
      response.end(
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code>` +
          '<Message>Refused by the test proxy.</Message></Error>',
      );
      return;
    }
    const held = hold?.(request, proxy) ?? false;
    if (held) proxy.held++;
    const passOn = () => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: targetPort,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on('end', () =>
            proxy.answered.push({
              method: request.method ?? '',
              url: request.url ?? '',
              status: answer.statusCode ?? 0,
            }),
          );
          if (held) answer.on('end', () => proxy.heldAnswered++);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    };
    if (!held) return passOn();
    let gone = false;
    const once = () => {
      if (!gone) passOn();
      gone = true;
    };
    setTimeout(once, holdMs);
    release?.(request).then(once, once);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: HoldingProxy = {
    port: (server.address() as AddressInfo).port,
    held: 0,
    heldAnswered: 0,
    refused: 0,
    answered: [],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
