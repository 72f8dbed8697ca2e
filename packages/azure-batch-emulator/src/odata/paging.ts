import { Errors } from '../errors';

/** Batch's default and largest page. */
export const MAX_PAGE = 1000;
const TOKEN = '$skiptoken';

export interface PageRequest {
  maxResults: number;
  /** Sequence number of the last item of the previous page. */
  after: number;
}

export function parsePaging(query: URLSearchParams): PageRequest {
  const raw = query.get('maxresults');
  let maxResults = MAX_PAGE;
  if (raw !== null) {
    maxResults = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (!(maxResults >= 1 && maxResults <= MAX_PAGE)) {
      throw Errors.invalidQuery('maxresults', raw, `must be an integer from 1 to ${MAX_PAGE}`);
    }
  }
  const token = query.get(TOKEN);
  let after = 0;
  if (token !== null) {
    after = Number(token);
    if (!Number.isInteger(after) || after < 0) {
      throw Errors.invalidQuery(TOKEN, token, 'not a token this server issued');
    }
  }
  return { maxResults, after };
}

/**
 * One page of items in creation order. Keyset paging (by creation sequence) so that items added
 * or removed between pages neither repeat nor shift the following pages.
 */
export function takePage<T extends { seq: number }>(
  items: Iterable<T>,
  req: PageRequest,
  keep: (item: T) => boolean = () => true,
): { page: T[]; nextAfter?: number } {
  const page: T[] = [];
  for (const item of items) {
    if (item.seq <= req.after || !keep(item)) continue;
    if (page.length === req.maxResults) return { page, nextAfter: page[page.length - 1].seq };
    page.push(item);
  }
  return { page };
}

/** The next page's absolute URL: the same query (api-version included, as Python 6.0.0 needs). */
export function nextLink(
  baseUrl: string,
  path: string,
  query: URLSearchParams,
  after: number,
): string {
  const parts: string[] = [];
  for (const [name, value] of query) {
    if (name !== TOKEN) parts.push(`${name}=${encodeURIComponent(value)}`);
  }
  parts.push(`${TOKEN}=${after}`);
  return `${baseUrl}${path}?${parts.join('&')}`;
}
