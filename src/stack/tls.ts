// A self-signed certificate for loopback HTTPS (Azurite's OAuth mode refuses bearer tokens over
// plain HTTP). Node's crypto makes keys but not X.509 certificates, so this runs the system's
// `openssl`, present wherever Node is built with it (no npm dependency needed). Clients trust it
// through NODE_EXTRA_CA_CERTS, Node's standard way to add a CA to a process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface LoopbackCertificate {
  /** PEM certificate, for `--cert` and for clients' NODE_EXTRA_CA_CERTS. */
  certFile: string;
  /** PEM private key, for `--key`. */
  keyFile: string;
}

/** The certificate kept in `dir` for 127.0.0.1 and localhost, made (30 days) when missing or stale. */
export function loopbackCertificate(dir: string): LoopbackCertificate {
  fs.mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, 'loopback-cert.pem');
  const keyFile = path.join(dir, 'loopback-key.pem');
  const fresh =
    fs.existsSync(certFile) &&
    fs.existsSync(keyFile) &&
    Date.now() - fs.statSync(certFile).mtimeMs < 20 * 24 * 3600_000;
  if (!fresh) {
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-sha256',
          '-days',
          '30',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          keyFile,
          '-out',
          certFile,
        ],
        { stdio: 'pipe' },
      );
    } catch (err) {
      throw new Error(
        `could not make a loopback TLS certificate with openssl (install it, e.g. apt-get install -y openssl): ${
          err instanceof Error ? err.message : String(err)
        }`,
        { cause: err },
      );
    }
    fs.chmodSync(keyFile, 0o600);
  }
  return { certFile, keyFile };
}
