// A private CA with a server certificate (127.0.0.1, localhost) and a client certificate, as a
// self-hosted Temporal cluster with TLS or mTLS has them. The loopback certificate of tls.ts is
// self-signed with CA:TRUE, which Node accepts but the worker's Rust core (rustls) refuses as a
// server certificate (CaUsedAsEndEntity), so TLS to Temporal needs a CA and a leaf. Made with the
// system's `openssl`, like tls.ts.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TlsCertificates {
  /** The CA's certificate: TEMPORAL_TLS_SERVER_CA_CERT_PATH, and the CA a server checks clients with. */
  caFile: string;
  /** The server's certificate and key (SAN IP:127.0.0.1, DNS:localhost). */
  serverCertFile: string;
  serverKeyFile: string;
  /** A client certificate and key for mTLS: TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH. */
  clientCertFile: string;
  clientKeyFile: string;
}

export function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `openssl ${args[0]} failed (install openssl, e.g. apt-get install -y openssl): ${stderr || String(err)}`,
      { cause: err },
    );
  }
}

/** True when every file exists and was made less than 20 days ago (they are made for 30). */
export function areFresh(files: string[]): boolean {
  return files.every(
    (f) => fs.existsSync(f) && Date.now() - fs.statSync(f).mtimeMs < 20 * 24 * 3600_000,
  );
}

/** A self-signed certificate (30 days) and its new RSA key, with the given extensions. */
export function selfSigned(
  subject: string,
  files: { keyFile: string; certFile: string },
  extensions: string[],
): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '30',
    '-subj',
    subject,
    ...extensions.flatMap((extension) => ['-addext', extension]),
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
  ]);
  fs.chmodSync(files.keyFile, 0o600);
}

/** Makes (30 days) the CA, server and client certificates in `dir`, or reuses fresh ones. */
export function tlsCertificates(dir: string): TlsCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  const certs: TlsCertificates = {
    caFile: file('ca-cert.pem'),
    serverCertFile: file('server-cert.pem'),
    serverKeyFile: file('server-key.pem'),
    clientCertFile: file('client-cert.pem'),
    clientKeyFile: file('client-key.pem'),
  };
  const files: string[] = [
    certs.caFile,
    certs.serverCertFile,
    certs.serverKeyFile,
    certs.clientCertFile,
    certs.clientKeyFile,
  ];
  if (areFresh(files)) return certs;

  const caKey = file('ca-key.pem');
  selfSigned('/CN=durable-batch test CA', { keyFile: caKey, certFile: certs.caFile }, [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = (
    name: string,
    subject: string,
    extensions: string,
    certFile: string,
    keyFile: string,
  ) => {
    const csr = file(`${name}.csr`);
    const ext = file(`${name}.ext`);
    fs.writeFileSync(ext, extensions);
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      keyFile,
      '-out',
      csr,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      certs.caFile,
      '-CAkey',
      caKey,
      '-set_serial',
      `0x${crypto.randomBytes(8).toString('hex')}`,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      certFile,
    ]);
    fs.rmSync(csr);
    fs.rmSync(ext);
    fs.chmodSync(keyFile, 0o600);
  };
  leaf(
    'server',
    '/CN=127.0.0.1',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
      'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
    certs.serverCertFile,
    certs.serverKeyFile,
  );
  leaf(
    'client',
    '/CN=durable-batch-worker',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
      'extendedKeyUsage=clientAuth\n',
    certs.clientCertFile,
    certs.clientKeyFile,
  );
  fs.chmodSync(caKey, 0o600);
  return certs;
}
