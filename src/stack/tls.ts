// A self-signed certificate for loopback HTTPS (Azurite's OAuth mode refuses bearer tokens over
// plain HTTP). Node's crypto makes keys but not X.509 certificates, so this runs the system's
// `openssl`, present wherever Node is built with it (no npm dependency needed). Clients trust it
// through NODE_EXTRA_CA_CERTS, Node's standard way to add a CA to a process.
import fs from 'node:fs';
import path from 'node:path';
import { areFresh, selfSigned } from './tls-certs';

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
  if (!areFresh([certFile, keyFile])) {
    selfSigned('/CN=127.0.0.1', { keyFile, certFile }, [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
  }
  return { certFile, keyFile };
}
