// How errors from Azure (Batch and Storage) become Temporal failures: configuration and
// authentication problems are non-retryable (retrying cannot fix a wrong key), throttling
// retries after the delay the service asks for, everything else is retried by Temporal.
import { ApplicationFailure } from '@temporalio/common';

export { NON_RETRYABLE_ERROR_TYPES } from '../transcode';

export interface AzureRestError {
  statusCode?: number;
  code?: string;
  message?: unknown;
  body?: { message?: { value?: string } | string; code?: string };
  response?: { headers?: { get(name: string): string | undefined } };
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
  return redactSas(`${err.statusCode ?? ''} ${codeOf(err) ?? ''}: ${firstLine}`.trim());
}

/** Removes SAS signatures from any text that may reach history or logs. */
export function redactSas(text: string): string {
  return text.replace(/([?&]sig=)[^&\s"']+/gi, '$1REDACTED');
}

/**
 * Rethrows an Azure error as the right Temporal failure. `what` says what was being done,
 * e.g. "create pool pool-x".
 */
export function toActivityFailure(err: unknown, what: string): never {
  if (err instanceof ApplicationFailure) throw err;
  const status = statusOf(err);
  const message = `${what}: ${describeError(err)}`;
  if (status === 401 || status === 403) {
    throw ApplicationFailure.create({
      type: 'AuthenticationFailed',
      message: `${message} (check the account name and key in the worker's environment)`,
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
