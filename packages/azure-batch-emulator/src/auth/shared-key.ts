import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Errors } from '../errors';
import type { Authenticator, AuthOutcome, AuthRequest } from './types';

const SIGNED_HEADERS = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];

/** Retries resend the original signed request with its original ocp-date, so allow a wide window. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/**
 * Builds the strings a client may have signed. The JS SDK signs every query parameter; Python's
 * azure-batch skips empty ones. Both forms are computed from the request exactly as received.
 */
export function stringsToSign(req: AuthRequest, accountName: string): string[] {
  let base = `${req.method}\n`;
  for (const name of SIGNED_HEADERS) base += `${header(req.headers, name)}\n`;
  const ocp = Object.keys(req.headers)
    .filter((name) => name.startsWith('ocp-') && header(req.headers, name) !== '')
    .sort();
  for (const name of ocp) base += `${name}:${header(req.headers, name)}\n`;
  base += `/${accountName}${req.rawPath}`;

  const names = [...new Set(req.query.map(([n]) => n))].sort();
  const first = (n: string) => req.query.find(([k]) => k === n)?.[1] ?? '';
  const all = base + names.map((n) => `\n${n}:${first(n)}`).join('');
  const nonEmpty =
    base +
    names
      .filter((n) => first(n) !== '')
      .map((n) => `\n${n}:${first(n)}`)
      .join('');
  return all === nonEmpty ? [all] : [all, nonEmpty];
}

export function sign(stringToSign: string, accountKey: string): string {
  return createHmac('sha256', Buffer.from(accountKey, 'base64'))
    .update(stringToSign, 'utf8')
    .digest('base64');
}

/** Batch SharedKey: `Authorization: SharedKey <account>:<base64 HMAC-SHA256>`. */
export class SharedKeyAuthenticator implements Authenticator {
  constructor(
    private readonly accountName: string,
    private readonly accountKey: string,
    private readonly now: () => number = Date.now,
  ) {}

  authenticate(req: AuthRequest): AuthOutcome {
    const authorization = header(req.headers, 'authorization');
    if (!authorization.startsWith('SharedKey ')) return { kind: 'skip' };
    const m = /^SharedKey ([^:]+):(.+)$/.exec(authorization);
    if (!m) {
      return {
        kind: 'fail',
        error: Errors.invalidAuthenticationInfo('The Authorization header is malformed.'),
      };
    }
    const [, account, signature] = m;
    if (account.toLowerCase() !== this.accountName.toLowerCase()) {
      return {
        kind: 'fail',
        error: Errors.authenticationFailed(`The account ${account} does not exist here.`),
      };
    }
    const date = header(req.headers, 'ocp-date') || header(req.headers, 'date');
    const when = Date.parse(date);
    if (!date || Number.isNaN(when)) {
      return {
        kind: 'fail',
        error: Errors.authenticationFailed('The ocp-date or Date header is missing or invalid.'),
      };
    }
    if (Math.abs(this.now() - when) > MAX_CLOCK_SKEW_MS) {
      return {
        kind: 'fail',
        error: Errors.authenticationFailed(
          `Request date ${date} is more than 15 minutes away from the server time.`,
        ),
      };
    }
    const given = Buffer.from(signature, 'base64');
    for (const candidate of stringsToSign(req, account)) {
      const expected = Buffer.from(sign(candidate, this.accountKey), 'base64');
      if (expected.length === given.length && timingSafeEqual(expected, given)) {
        return { kind: 'pass' };
      }
    }
    return {
      kind: 'fail',
      error: Errors.authenticationFailed(
        'The MAC signature found in the HTTP request is not the same as any computed signature.',
      ),
    };
  }
}
