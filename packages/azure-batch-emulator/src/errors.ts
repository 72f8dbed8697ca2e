/** A Batch service error: HTTP status, Batch error code, message and optional detail values. */
export class BatchServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly values: { key: string; value: string }[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'BatchServiceError';
  }
}

/** Batch's flat error body (never an `odata.error` wrapper; the SDK reads `code` at top level). */
export interface BatchErrorBody {
  'odata.metadata': string;
  code: string;
  message: { lang: string; value: string };
  values?: { key: string; value: string }[];
}

export function errorBody(
  err: BatchServiceError,
  requestId: string,
  baseUrl: string,
  now = new Date(),
): BatchErrorBody {
  const body: BatchErrorBody = {
    'odata.metadata': `${baseUrl}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element`,
    code: err.code,
    message: {
      lang: 'en-US',
      value: `${err.message}\nRequestId:${requestId}\nTime:${now.toISOString()}`,
    },
  };
  if (err.values.length > 0) body.values = err.values;
  return body;
}

const e = (
  status: number,
  code: string,
  message: string,
  values?: { key: string; value: string }[],
) => new BatchServiceError(status, code, message, values);

/** The one place service errors are made, so codes, statuses and texts stay consistent. */
export const Errors = {
  poolExists: () => e(409, 'PoolExists', 'The specified pool already exists.'),
  jobExists: () => e(409, 'JobExists', 'The specified job already exists.'),
  taskExists: () => e(409, 'TaskExists', 'The specified task already exists.'),
  poolNotFound: () => e(404, 'PoolNotFound', 'The specified pool does not exist.'),
  jobNotFound: () => e(404, 'JobNotFound', 'The specified job does not exist.'),
  taskNotFound: () => e(404, 'TaskNotFound', 'The specified task does not exist.'),
  nodeNotFound: () => e(404, 'NodeNotFound', 'The specified node does not exist.'),
  fileNotFound: () => e(404, 'FileNotFound', 'The specified file does not exist.'),
  poolBeingDeleted: () =>
    e(
      409,
      'PoolBeingDeleted',
      'The specified pool has been marked for deletion and is being reclaimed.',
    ),
  jobBeingDeleted: () =>
    e(
      409,
      'JobBeingDeleted',
      'The specified job has been marked for deletion and is being garbage collected.',
    ),
  poolBeingResized: () =>
    e(409, 'PoolBeingResized', 'The specified pool is currently being resized.'),
  jobCompleted: () => e(409, 'JobCompleted', 'The specified job is already in a completed state.'),
  jobBeingTerminated: () =>
    e(409, 'JobBeingTerminated', 'The specified job is already being terminated.'),
  taskCompleted: () => e(409, 'TaskCompleted', 'The specified task is already completed.'),
  nodeNotLowPriority: () =>
    e(409, 'OperationInvalidForCurrentState', 'Only low-priority nodes can be preempted.'),
  invalidForState: (message: string) => e(409, 'OperationInvalidForCurrentState', message),
  missingProperty: (name: string) =>
    e(
      400,
      'MissingRequiredProperty',
      'A required property was not specified in the request body.',
      [{ key: 'PropertyName', value: name }],
    ),
  invalidProperty: (name: string, reason?: string) =>
    e(
      400,
      'InvalidPropertyValue',
      'The value provided for one of the properties in the request body is invalid.',
      [{ key: 'PropertyName', value: name }, ...(reason ? [{ key: 'Reason', value: reason }] : [])],
    ),
  /** Batch's full form: the property's own name, the value sent and why it was refused. */
  invalidPropertyValue: (name: string, value: unknown, reason: string) =>
    e(
      400,
      'InvalidPropertyValue',
      'The value provided for one of the properties in the request body is invalid.',
      [
        { key: 'PropertyName', value: name },
        {
          key: 'PropertyValue',
          value: typeof value === 'string' ? value : (JSON.stringify(value) ?? ''),
        },
        { key: 'Reason', value: reason },
      ],
    ),
  invalidRequestBody: (reason: string) =>
    e(400, 'InvalidRequestBody', 'The specified Request Body is not syntactically valid.', [
      { key: 'Reason', value: reason },
    ]),
  /** A property Batch knows, but not in the request's api-version (src/wire/api-versions.ts). */
  unsupportedProperty: (path: string, apiVersion: string) =>
    e(
      400,
      'UnsupportedProperty',
      'One of the properties specified in the request body is not supported.',
      [
        { key: 'PropertyName', value: path },
        { key: 'Reason', value: `api-version ${apiVersion} does not have this property` },
      ],
    ),
  missingApiVersion: () =>
    e(
      400,
      'MissingRequiredQueryParameter',
      'A query parameter that is mandatory for this request is not specified.',
      [{ key: 'QueryParameterName', value: 'api-version' }],
    ),
  unsupportedApiVersion: (version: string) =>
    e(
      400,
      'UnsupportedRequestVersion',
      'The specified api-version is not supported by the Batch service.',
      [
        { key: 'QueryParameterName', value: 'api-version' },
        { key: 'QueryParameterValue', value: version },
      ],
    ),
  invalidQuery: (name: string, value: string, reason: string) =>
    e(
      400,
      'InvalidQueryParameterValue',
      'Value for one of the query parameters specified in the request URI is invalid.',
      [
        { key: 'QueryParameterName', value: name },
        { key: 'QueryParameterValue', value },
        { key: 'Reason', value: reason },
      ],
    ),
  invalidHeader: (name: string, value: string) =>
    e(
      400,
      'InvalidHeaderValue',
      'The value for one of the HTTP headers is not in the correct format.',
      [
        { key: 'HeaderName', value: name },
        { key: 'HeaderValue', value },
      ],
    ),
  authenticationFailed: (detail: string) =>
    e(
      403,
      'AuthenticationFailed',
      'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
      [{ key: 'AuthenticationErrorDetail', value: detail }],
    ),
  /** Entra ID: a bearer token Batch refuses is a 401 (a SharedKey signature it refuses, a 403). */
  invalidBearerToken: (detail: string) =>
    new BatchServiceError(
      401,
      'AuthenticationFailed',
      'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly.',
      [{ key: 'AuthenticationErrorDetail', value: detail }],
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    ),
  invalidAuthenticationInfo: (detail: string) =>
    e(
      400,
      'InvalidAuthenticationInfo',
      'Authentication information is not given in the correct format.',
      [{ key: 'AuthenticationErrorDetail', value: detail }],
    ),
  requestBodyTooLarge: () =>
    e(
      413,
      'RequestBodyTooLarge',
      'The request body is too large and exceeds the maximum permissible limit.',
    ),
  conditionNotMet: () =>
    e(
      412,
      'ConditionNotMet',
      'The condition specified using HTTP conditional header(s) is not met.',
    ),
  notImplemented: (method: string, path: string) =>
    e(501, 'NotImplemented', `The emulator does not implement ${method} ${path}.`),
  serverBusy: () =>
    e(
      503,
      'ServerBusy',
      'The server is currently unable to receive requests. Please retry your request.',
    ),
  /** The request (its body) did not arrive within the server's limit; sent with Connection: close. */
  requestTimeout: (seconds: number) =>
    new BatchServiceError(
      408,
      'OperationTimedOut',
      'The operation could not be completed within the permitted time.',
      [{ key: 'Reason', value: `The request body was not received within ${seconds} s.` }],
      { Connection: 'close' },
    ),
  internalError: () =>
    e(500, 'InternalError', 'The server encountered an internal error. Please retry the request.'),
  tooManyRequests: () =>
    e(
      429,
      'TooManyRequests',
      'The server is receiving too many requests. Please retry your request later.',
    ),
};
