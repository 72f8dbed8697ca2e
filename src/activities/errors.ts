// How errors from Azure (Batch and Storage) become Temporal failures: configuration and
// authentication problems are non-retryable (retrying cannot fix a wrong key), throttling
// retries after the delay the service asks for, everything else is retried by Temporal.
import { ApplicationFailure } from '@temporalio/common';
import { EntraTokenError } from '../entra-id';

export { NON_RETRYABLE_ERROR_TYPES } from '../transcode';

export interface AzureRestError {
  statusCode?: number;
  code?: string;
  message?: unknown;
  body?: {
    message?: { value?: string } | string;
    code?: string;
    /** Batch's details, e.g. AuthenticationErrorDetail: why a credential was refused. */
    values?: Array<{ key?: string; value?: string }>;
  };
  response?: { headers?: { get(name: string): string | undefined } };
}

/** With Microsoft Entra ID: what to fix when a service refuses the worker's identity. */
export interface EntraAdvice {
  /** 401: its token (audience, tenant, expiry); 403: its role on the account. */
  advice(service: 'batch' | 'storage', status: number): string;
}

const KEY_HINT = "check the account name and key in the worker's environment";
const ENTRA_HINT =
  "the worker signs in with Microsoft Entra ID: check its identity's token and its role on " +
  'the account (README: Real Azure)';

/** How the refused request was authenticated: the scheme word of its Authorization header only. */
function authSchemeOf(err: unknown): string | undefined {
  const headers = (err as { request?: { headers?: { get?: (name: string) => unknown } } }).request
    ?.headers;
  const value = typeof headers?.get === 'function' ? headers.get('authorization') : undefined;
  return typeof value === 'string' ? value.split(' ', 1)[0] : undefined;
}

export function isRestError(err: unknown): err is AzureRestError {
  return typeof err === 'object' && err !== null && ('statusCode' in err || 'code' in err);
}

export function statusOf(err: unknown): number | undefined {
  return isRestError(err) ? err.statusCode : undefined;
}

export function codeOf(err: unknown): string | undefined {
  if (!isRestError(err)) return undefined;
  return err.code ?? (typeof err.body?.code === 'string' ? err.body.code : undefined);
}

/** Batch puts the text in body.message.value; Storage in message. Never includes a URL's query. */
export function describeError(err: unknown): string {
  if (!isRestError(err)) return err instanceof Error ? err.message : String(err);
  const bodyMessage = err.body?.message;
  const text =
    typeof bodyMessage === 'object' && bodyMessage?.value
      ? bodyMessage.value
      : typeof bodyMessage === 'string'
        ? bodyMessage
        : typeof err.message === 'string'
          ? err.message
          : JSON.stringify(err.message);
  const firstLine = (text ?? '').split('\n')[0];
  const details = batchDetails(err.body?.values);
  return redactSas(
    `${err.statusCode ?? ''} ${codeOf(err) ?? ''}: ${firstLine}${details ? ` ${details}` : ''}`.trim(),
  );
}

/** A detail longer than this (a whole command line, say) is cut: the message stays readable. */
const DETAIL_CHARS = 200;

/**
 * Batch's details of a refusal, which say what its message does not: which property, with
 * what value, and why (InvalidPropertyValue, MissingRequiredProperty, the query and header
 * errors), or why a credential was refused (AuthenticationErrorDetail).
 */
function batchDetails(values: Array<{ key?: string; value?: string }> | undefined): string {
  if (!Array.isArray(values)) return '';
  const cut = (v: string) => (v.length > DETAIL_CHARS ? `${v.slice(0, DETAIL_CHARS)}…` : v);
  const of = (key: string) => values.find((v) => v.key === key)?.value;
  const auth = of('AuthenticationErrorDetail');
  if (auth) return auth;
  const parts = values
    .filter((v) => v.key && v.value !== undefined && v.value !== '')
    .map((v) => `${v.key}: ${cut(String(v.value))}`);
  return parts.length > 0 ? `(${parts.join('; ')})` : '';
}

/**
 * The request checks @azure/batch (ms-rest-js) makes before sending: a property of the wrong
 * type, a missing required one, a broken constraint. Their messages name the property path.
 */
const CLIENT_VALIDATION =
  /( must be of type \w+| cannot be (null or )?undefined| should satisfy the constraint | is not a valid value| must be an instanceof )/;

export function isClientValidationError(err: unknown): boolean {
  return err instanceof Error && !('statusCode' in err) && CLIENT_VALIDATION.test(err.message);
}

/** Removes SAS signatures from any text that may reach history or logs. */
export function redactSas(text: string): string {
  return text.replace(/([?&]sig=)[^&\s"']+/gi, '$1REDACTED');
}

/**
 * Rethrows an Azure error as the right Temporal failure. `what` says what was being done,
 * e.g. "create pool pool-x"; `advice`, what to fix when the service refuses the credentials.
 */
export function toActivityFailure(
  err: unknown,
  what: string,
  advice?: (status: number) => string,
): never {
  if (err instanceof ApplicationFailure) throw err;
  if (err instanceof EntraTokenError) {
    // No token: a missing identity is not retried; a failed sign-in may be transient.
    throw ApplicationFailure.create({
      type: 'AuthenticationFailed',
      message: `${what}: ${err.message}`,
      nonRetryable: err.permanent,
    });
  }
  if (isClientValidationError(err)) {
    // The SDK refused the request before it left: the same body would be refused every time.
    throw ApplicationFailure.create({
      type: 'InvalidRequest',
      message: `${what}: the Azure SDK refused the request before sending it: ${(err as Error).message}`,
      nonRetryable: true,
    });
  }
  const status = statusOf(err);
  const message = `${what}: ${describeError(err)}`;
  if (status === 401 || status === 403) {
    const hint = advice?.(status) ?? (authSchemeOf(err) === 'Bearer' ? ENTRA_HINT : KEY_HINT);
    throw ApplicationFailure.create({
      type: 'AuthenticationFailed',
      message: `${message} (${hint})`,
      nonRetryable: true,
    });
  }
  if (status === 400 || status === 413) {
    throw ApplicationFailure.create({ type: 'InvalidRequest', message, nonRetryable: true });
  }
  if (status === 429) {
    const retryAfter = Number(
      isRestError(err) ? err.response?.headers?.get('retry-after') : undefined,
    );
    throw ApplicationFailure.create({
      type: 'Throttled',
      message,
      nextRetryDelay: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    });
  }
  throw ApplicationFailure.create({ type: 'AzureError', message });
}
