import type { ResolvedOptions } from '../config';
import { BatchServiceError, Errors } from '../errors';
import { parseFilter, type Predicate } from '../odata/filter';
import type { Filterable } from '../odata/filterable';
import { nextLink, parsePaging, takePage, type PageRequest } from '../odata/paging';
import { parseSelect } from '../odata/select';
import type { Operation, OperationResult } from '../pipeline/types';
import type { MapperName } from '../wire/serializer';
import type { Runtime } from '../runtime/runtime';
import type { BatchStore } from '../store/types';

/** What every resource handler talks to. */
export interface Services {
  store: BatchStore;
  runtime: Runtime;
  options: ResolvedOptions;
  /** The service root for model urls, http://127.0.0.1:PORT. */
  serviceUrl: () => string;
}

type Versioned = { eTag?: string; lastModified?: Date };

export function entityHeaders(model: Versioned): Record<string, string> {
  const h: Record<string, string> = {};
  if (model.eTag) h.ETag = model.eTag;
  if (model.lastModified) h['Last-Modified'] = model.lastModified.toUTCString();
  return h;
}

/** Add, update and action answers: ETag, Last-Modified and DataServiceId (plus Location on add). */
export function changeHeaders(
  model: Versioned,
  url: string,
  created = false,
): Record<string, string> {
  return { ...entityHeaders(model), DataServiceId: url, ...(created ? { Location: url } : {}) };
}

export function metadata(op: Operation, fragment: string): string {
  return `${op.baseUrl}/$metadata#${fragment}`;
}

export interface ListQuery {
  filter?: Predicate;
  select?: string[];
  paging: PageRequest;
}

export function listQuery(op: Operation, filterable?: Filterable): ListQuery {
  const text = op.query.get('$filter');
  let filter: Predicate | undefined;
  if (text) {
    try {
      filter = parseFilter(text, filterable);
    } catch (err) {
      throw Errors.invalidQuery('$filter', text, err instanceof Error ? err.message : String(err));
    }
  }
  return { filter, select: parseSelect(op.query.get('$select')), paging: parsePaging(op.query) };
}

/**
 * One page of a list operation as Batch answers it: the records the `$filter` keeps after the
 * page's start, at most `maxresults` of them, the odata metadata and the next page's link.
 */
export function listPage<R extends { seq: number }>(
  op: Operation,
  records: Iterable<R>,
  model: (record: R) => object,
  list: { mapper: MapperName; fragment: string; selectable?: boolean; filterable: Filterable },
): OperationResult {
  const q = listQuery(op, list.filterable);
  const { page, nextAfter } = takePage(records, q.paging, (r) => !q.filter || q.filter(model(r)));
  return {
    status: 200,
    body: {
      kind: 'list',
      mapper: list.mapper,
      models: page.map(model),
      metadata: metadata(op, list.fragment),
      nextLink:
        nextAfter === undefined ? undefined : nextLink(op.baseUrl, op.rawPath, op.query, nextAfter),
      ...(list.selectable === false ? {} : { select: q.select }),
    },
  };
}

/** If-Match / If-None-Match / If-(Un)Modified-Since against the entity's ETag and time. */
export function checkConditions(op: Operation, model: Versioned): void {
  const h = op.headers;
  const read = op.name.endsWith('_Get') || op.name.endsWith('_Exists');
  const ifMatch = h['if-match'];
  if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== model.eTag) {
    throw Errors.conditionNotMet();
  }
  const ifNoneMatch = h['if-none-match'];
  if (typeof ifNoneMatch === 'string' && (ifNoneMatch === '*' || ifNoneMatch === model.eTag)) {
    if (read) throw new BatchServiceError(304, 'ConditionNotMet', 'Not modified.');
    throw Errors.conditionNotMet();
  }
  const modified = model.lastModified?.getTime() ?? 0;
  const since = h['if-modified-since'];
  if (typeof since === 'string' && modified <= Date.parse(since) + 999) {
    if (read) throw new BatchServiceError(304, 'ConditionNotMet', 'Not modified.');
    throw Errors.conditionNotMet();
  }
  const unmodified = h['if-unmodified-since'];
  if (typeof unmodified === 'string' && modified > Date.parse(unmodified) + 999) {
    throw Errors.conditionNotMet();
  }
}

/** The body of a POST that may be empty (terminate without a reason sends Content-Length 0). */
export function optionalBody(op: Operation): object {
  return op.body === undefined ? {} : (op.body as object);
}
