// Why a connection to Temporal failed, in words. The TypeScript client (grpc-js) reports any
// failure to connect as "Failed to connect before the deadline", after its 10 s timeout; a TLS
// handshake or TCP connection of our own to the same address, with the same TLS settings, names
// the cause: an untrusted certificate, a wrong server name, a refused connection.
import net from 'node:net';
import tls from 'node:tls';
import type { ConnectionOptions } from '@temporalio/client';
import { ConfigError } from './config';

const PROBE_TIMEOUT_MS = 5_000;

const buffer = (data?: Uint8Array) => (data ? Buffer.from(data) : undefined);

/** The reason a TLS handshake (or, without TLS, a TCP connection) to `options` fails, if it does. */
export async function probeTemporal(
  options: Pick<ConnectionOptions, 'address' | 'tls'>,
): Promise<{ stage: 'tcp' | 'tls'; reason: string } | undefined> {
  const address = options.address ?? '127.0.0.1:7233';
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(separator + 1));
  const tlsConfig = options.tls === true ? {} : options.tls || undefined;
  return new Promise((resolve) => {
    let stage: 'tcp' | 'tls' = 'tcp';
    const socket = tlsConfig
      ? tls.connect({
          host,
          port,
          ca: buffer(tlsConfig.serverRootCACertificate),
          cert: buffer(tlsConfig.clientCertPair?.crt),
          key: buffer(tlsConfig.clientCertPair?.key),
          servername: tlsConfig.serverNameOverride ?? (net.isIP(host) ? undefined : host),
          ALPNProtocols: ['h2'],
        })
      : net.connect(port, host);
    const done = (result?: { stage: 'tcp' | 'tls'; reason: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ stage, reason: `no answer in ${PROBE_TIMEOUT_MS / 1000} s` }),
      PROBE_TIMEOUT_MS,
    );
    socket.once('connect', () => (stage = 'tls'));
    socket.once(tlsConfig ? 'secureConnect' : 'connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ stage, reason: err.code ? `${err.message} (${err.code})` : err.message }),
    );
  });
}

/** Temporal is not reachable at the address: the message says where and what to check. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

/**
 * The error to show for a failed `Connection.connect`: a ConfigError naming the TEMPORAL_*
 * variables when the TLS handshake fails, a TemporalUnreachableError naming the address when
 * nothing answers, the original error when a connection of our own succeeds.
 */
export async function explainConnectFailure(
  err: unknown,
  options: Pick<ConnectionOptions, 'address' | 'tls'>,
): Promise<unknown> {
  const problem = await probeTemporal(options).catch(() => undefined);
  if (!problem) return err;
  const address = options.address ?? '127.0.0.1:7233';
  if (problem.stage === 'tls' && options.tls) {
    return new ConfigError([
      `Temporal at ${address} over TLS: ${problem.reason}. Set TEMPORAL_TLS_SERVER_CA_CERT_PATH ` +
        'to the CA of the server’s certificate (TEMPORAL_TLS_SERVER_NAME if its name differs ' +
        'from the address; TEMPORAL_TLS_CLIENT_CERT_PATH and _KEY_PATH for mTLS), or a profile ' +
        'with these (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE)',
    ]);
  }
  if (problem.stage === 'tls') {
    return new TemporalUnreachableError(
      `Temporal at ${address} did not answer: ${problem.reason}`,
      { cause: err },
    );
  }
  return new TemporalUnreachableError(
    `Cannot connect to Temporal at ${address}: ${problem.reason}. Is it running, and is ` +
      'TEMPORAL_ADDRESS (or the profile’s address) right?',
    { cause: err },
  );
}
