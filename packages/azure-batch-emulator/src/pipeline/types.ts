import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { MapperName } from '../wire/serializer';

/** What a handler answers; the serialization middleware turns it into wire JSON. */
export interface OperationResult {
  status: number;
  headers?: Record<string, string>;
  body?: ResponseBody;
}

export type ResponseBody =
  | { kind: 'entity'; mapper: MapperName; model: object; metadata: string; select?: string[] }
  | {
      kind: 'list';
      mapper: MapperName;
      models: object[];
      metadata: string;
      nextLink?: string;
      select?: string[];
    }
  | { kind: 'json'; value: Record<string, unknown> }
  | { kind: 'file'; path: string; size: number };

/** A matched REST operation, as a handler sees it. */
export interface Operation {
  name: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  apiVersion: string;
  /** http://host:port, the service root as the client addressed it. */
  baseUrl: string;
  /** Path as received (percent-encoded), for next links. */
  rawPath: string;
}

export type Handler = (op: Operation) => OperationResult | Promise<OperationResult>;

export interface Route {
  method: string;
  /** Path segments; `{name}` captures one segment, `{*name}` the rest. */
  segments: string[];
  operation: string;
  handler: Handler;
}

/** Post-handler faults decided before the handler ran. */
export interface ResponseFaults {
  delayMs: number;
  drop: boolean;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  requestId: string;
  url: URL;
  rawPath: string;
  baseUrl: string;
  apiVersion: string;
  clientRequestId?: string;
  returnClientRequestId: boolean;
  /** The REST operation name (swagger operationId), `Unknown` until dispatched. */
  operation: string;
  route?: { route: Route; params: Record<string, string> };
  body: unknown;
  result?: OperationResult;
  responseFaults?: ResponseFaults;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: RequestContext, next: Next) => Promise<void>;

/** Runs middleware in order; each decides whether and when to call the rest. */
export function compose(middleware: Middleware[]): (ctx: RequestContext) => Promise<void> {
  return (ctx) => {
    const run = (i: number): Promise<void> =>
      i < middleware.length ? middleware[i](ctx, () => run(i + 1)) : Promise.resolve();
    return run(0);
  };
}
