// Worker logs: one JSON object per line (time, level, message, and the SDK's context: workflowId,
// workflowType, activityType, attempt...), with secrets redacted: SAS signatures, account keys in
// connection strings, SharedKey and Bearer authorizations, JWTs (Entra ID access tokens) wherever
// they appear, values of fields named like keys or tokens, and the configured keys themselves.
import fs from 'node:fs';
import path from 'node:path';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  type LogEntry,
} from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';

const REDACTED = 'REDACTED';

const SECRET_PATTERNS: RegExp[] = [
  /(\bsig=)[^&\s"'#]+/gi, // SAS signatures (in URLs, SAS tokens, anywhere)
  /(sig%3D)(?:(?!%26)[^&\s"'])+/gi, // ...and in URL-encoded URLs
  /(AccountKey=)[^;\s"']+/gi, // storage connection strings
  /(SharedKey(?:Lite)? [^:\s]+:)[A-Za-z0-9+/=]+/g, // Authorization headers (Batch, Storage)
  /(Bearer )[A-Za-z0-9._~+/=-]+/g, // API keys and tokens
  /()\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, // JWTs (Entra ID tokens), bare
];

/** Fields whose string value is a secret whatever it looks like. */
const SECRET_FIELD = /(^|[a-z_])(key|secret|password|token|signature|sig|authorization)$/i;

/** Noise that is also a capability (it completes the activity): never logged. */
const DROPPED_FIELDS = new Set(['taskToken']);

/**
 * The text with every SAS signature, connection-string key, authorization and given secret
 * value (also URL-encoded) replaced by REDACTED.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = SECRET_PATTERNS.reduce((acc, pattern) => acc.replace(pattern, `$1${REDACTED}`), text);
  for (const secret of secrets) {
    if (secret.length < 8) continue; // too short to be a key; would redact ordinary words
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/** An error as JSON: its type, message, code and cause (never the request it carried). */
function errorToJson(err: Error, depth = 0): Record<string, unknown> {
  const json: Record<string, unknown> = { type: err.name, message: err.message };
  const extra = err as Error & { code?: unknown; statusCode?: unknown };
  if (typeof extra.code === 'string' || typeof extra.code === 'number') json.code = extra.code;
  if (typeof extra.statusCode === 'number') json.statusCode = extra.statusCode;
  if (err.stack) json.stack = err.stack.split('\n').slice(1, 6).join('\n').trim();
  if (err.cause instanceof Error && depth < 3) json.cause = errorToJson(err.cause, depth + 1);
  return json;
}

/** One log entry as one JSON line, secrets redacted. */
export function formatLogEntry(entry: LogEntry, secrets: readonly string[] = []): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const line = JSON.stringify(
    { time, level: entry.level, message: entry.message, ...entry.meta },
    function (this: unknown, key: string, value: unknown): unknown {
      if (DROPPED_FIELDS.has(key)) return undefined;
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) return errorToJson(value);
      if (typeof value === 'string') {
        return key && SECRET_FIELD.test(key) ? REDACTED : redactSecrets(value, secrets);
      }
      return value;
    },
  );
  return `${line}\n`;
}

export interface LoggingOptions {
  level?: LogLevel;
  /** Append to this file instead of writing to stdout. */
  file?: string;
  /** Values never to print, such as the configured account keys. */
  secrets?: readonly string[];
}

/** A logger that writes JSON lines (what installLogging installs; tests use it directly). */
export function createJsonLogger(
  write: (line: string) => void,
  options: Pick<LoggingOptions, 'level' | 'secrets'> = {},
): DefaultLogger {
  const secrets = (options.secrets ?? []).filter(Boolean);
  return new DefaultLogger(options.level ?? 'INFO', (entry) =>
    write(formatLogEntry(entry, secrets)),
  );
}

/**
 * Installs the process-wide Temporal runtime logger; call before creating connections or workers.
 * Without a file, lines go to stdout.
 */
export function installLogging(options: LoggingOptions = {}): void {
  let write: (line: string) => void = (line) => process.stdout.write(line);
  if (options.file) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    const fd = fs.openSync(options.file, 'a');
    write = (line) => fs.writeSync(fd, line);
  }
  const level = options.level ?? 'INFO';
  Runtime.install({
    logger: createJsonLogger(write, options),
    // The SDK's native core logs (e.g. while Temporal is unreachable) would otherwise go to
    // stderr as coloured text: forward them to the same JSON logger, redacted like the rest.
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level, other: level }), forward: {} },
    },
  });
}
