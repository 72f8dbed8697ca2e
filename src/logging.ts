// Worker logs: one JSON object per line (time, level, message, and the SDK's context such as
// workflowId, activityType and attempt), with SAS signatures and account keys redacted.
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';

const SECRET_PATTERNS: RegExp[] = [
  /([?&]sig=)[^&\s"']+/gi, // SAS signatures
  /(AccountKey=)[^;\s"']+/gi, // connection strings
  /(SharedKey [^:\s]+:)[A-Za-z0-9+/=]+/g, // Authorization headers
];

export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, pattern) => out.replace(pattern, '$1REDACTED'), text);
}

function toJsonLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const line = JSON.stringify(
    { time, level: entry.level, message: entry.message, ...entry.meta },
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );
  return `${redactSecrets(line)}\n`;
}

/**
 * Installs the process-wide Temporal runtime logger; call before creating connections or workers.
 * Without a file, lines go to stdout.
 */
export function installLogging(options: { level?: LogLevel; file?: string } = {}): void {
  let write: (line: string) => void = (line) => process.stdout.write(line);
  if (options.file) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    const fd = fs.openSync(options.file, 'a');
    write = (line) => fs.writeSync(fd, line);
  }
  Runtime.install({
    logger: new DefaultLogger(options.level ?? 'INFO', (entry) => write(toJsonLine(entry))),
  });
}
