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

type Query = AuthRequest['query'];

/** Each query name once, in first-seen order, with its first value (url-parse, parse_qs). */
function firstValues(query: Query): [string, string][] {
  const seen = new Map<string, string>();
  for (const [name, value] of query) if (!seen.has(name)) seen.set(name, value);
  return [...seen.entries()];
}

/** Code-unit order, as JS's default sort and Python's sorted() order these (ASCII) names. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The query part of the canonicalized resource, in each form a client may have built it:
 * - `sdk`: @azure/batch 10.2.0: names as sent, sorted, first value, every parameter;
 * - `python`: azure-batch 6.0.0 and 15.x: the same, but parameters with empty values skipped;
 * - `documented`: the REST reference ("Authenticate requests to the Azure Batch service"):
 *   names lower-cased, sorted, the values of a repeated name sorted and comma-joined.
 */
export function canonicalizedQueries(query: Query): {
  sdk: string;
  python: string;
  documented: string;
} {
  const first = firstValues(query).sort(([a], [b]) => byCodeUnit(a, b));
  const sdk = first.map(([n, v]) => `\n${n}:${v}`).join('');
  const python = first
    .filter(([, v]) => v !== '')
    .map(([n, v]) => `\n${n}:${v}`)
    .join('');
  const grouped = new Map<string, string[]>();
  for (const [name, value] of query) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  const documented = [...grouped.entries()]
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([n, values]) => `\n${n}:${values.sort(byCodeUnit).join(',')}`)
    .join('');
  return { sdk, python, documented };
}

/**
 * VERB, the standard headers and the canonicalized ocp-* headers. `documented` applies the REST
 * reference's rules where clients may differ from the SDKs: linear whitespace in ocp-* values
 * folded to one space, and the Date line empty when ocp-date is set ("If you set ocp-date,
 * construct the signature with an empty value for the Date header").
 */
function headerLines(req: AuthRequest, contentLength: string, documented: boolean): string {
  const hasOcpDate = header(req.headers, 'ocp-date') !== '';
  let out = `${req.method}\n`;
  for (const name of SIGNED_HEADERS) {
    let value = header(req.headers, name);
    if (name === 'content-length') value = contentLength;
    else if (name === 'date' && documented && hasOcpDate) value = '';
    out += `${value}\n`;
  }
  const ocp = Object.keys(req.headers)
    .filter((name) => name.startsWith('ocp-') && header(req.headers, name) !== '')
    .sort();
  for (const name of ocp) {
    const value = header(req.headers, name);
    out += `${name}:${documented ? value.replace(/\s+/g, ' ').trim() : value}\n`;
  }
  return out;
}

/**
 * The strings a client may have signed for this request, the JS SDK's form first. Each is built
 * from the request exactly as received (headers, still-encoded path, decoded query values); they
 * differ only where clients differ: the query (see canonicalizedQueries) and, in the documented
 * form, the header rules of headerLines and a Content-Length of 0 also signed as empty (the
 * Storage rule the Batch algorithm was taken from).
 */
export function stringsToSign(req: AuthRequest, accountName: string): string[] {
  const length = header(req.headers, 'content-length');
  const resource = `/${accountName}${req.rawPath}`;
  const q = canonicalizedQueries(req.query);
  const asSent = headerLines(req, length, false);
  const candidates = [asSent + resource + q.sdk, asSent + resource + q.python];
  const documentedHeaders = [headerLines(req, length, true)];
  if (length === '0') documentedHeaders.push(headerLines(req, '', true));
  for (const h of documentedHeaders) candidates.push(h + resource + q.documented);
  return [...new Set(candidates)];
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
