// A TLS-terminating TCP proxy in front of a plaintext gRPC server. `temporal server start-dev`
// (CLI 1.5.1) has no TLS options, so tests put this before it to talk to Temporal over real TLS,
// as to a self-hosted cluster or Temporal Cloud: TLS (or mTLS) with certificates of tls-certs.ts,
// ALPN `h2` (gRPC is HTTP/2), then the decrypted bytes go unchanged to the dev server's port.
// It counts what it terminated, so a test can prove the traffic went through TLS.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface TlsProxyOptions {
  /** host:port of the plaintext server, e.g. the dev server's 127.0.0.1:7233. */
  target: string;
  certFile: string;
  keyFile: string;
  /** With a CA, mutual TLS: only clients with a certificate from this CA get through. */
  clientCaFile?: string;
  /** Port to listen on (127.0.0.1); 0, the default, picks a free one. */
  port?: number;
}

export interface TlsProxyStats {
  /** Connections whose TLS handshake succeeded (and were forwarded). */
  tlsConnections: number;
  /** Handshakes that failed: a client that does not trust the certificate, or plaintext. */
  failedHandshakes: number;
  /** Decrypted bytes from clients to the target, and from the target back. */
  bytesToTarget: number;
  bytesFromTarget: number;
  /** ALPN protocols the clients chose. */
  alpn: string[];
  /** The last failed handshake's reason. */
  lastHandshakeError?: string;
}

export interface TlsProxy {
  /** 127.0.0.1:<port> */
  address: string;
  port: number;
  stats: TlsProxyStats;
  close(): Promise<void>;
}

export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  const separator = options.target.lastIndexOf(':');
  const targetHost = options.target.slice(0, separator);
  const targetPort = Number(options.target.slice(separator + 1));
  const stats: TlsProxyStats = {
    tlsConnections: 0,
    failedHandshakes: 0,
    bytesToTarget: 0,
    bytesFromTarget: 0,
    alpn: [],
  };
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = tls.createServer(
    {
      cert: fs.readFileSync(options.certFile),
      key: fs.readFileSync(options.keyFile),
      ALPNProtocols: ['h2'],
      ...(options.clientCaFile
        ? { ca: fs.readFileSync(options.clientCaFile), requestCert: true, rejectUnauthorized: true }
        : {}),
    },
    (client) => {
      stats.tlsConnections++;
      if (client.alpnProtocol) stats.alpn.push(client.alpnProtocol);
      track(client);
      const upstream = net.connect(targetPort, targetHost);
      track(upstream);
      client.on('data', (chunk: Buffer) => (stats.bytesToTarget += chunk.length));
      upstream.on('data', (chunk: Buffer) => (stats.bytesFromTarget += chunk.length));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    },
  );
  server.on('connection', track);
  server.on('tlsClientError', (err, socket) => {
    stats.failedHandshakes++;
    stats.lastHandshakeError = err.message;
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
