// What every command of the client shares: a connected Temporal client (closed at the end), one
// way to print (text or JSON), and the error that means bad usage.
import { Client, Connection } from '@temporalio/client';
import { loadConfig, temporalConnection, type AppConfig } from '../config';
import { dataConverter } from '../payload-codec';

/** Exit codes: 0 success, 1 the run failed or did not fully succeed, 2 bad usage or input. */
export class UsageError extends Error {}

export async function withClient<T>(
  fn: (client: Client, config: AppConfig, namespace: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const { connectionOptions, namespace } = temporalConnection(config);
  const connection = await Connection.connect(connectionOptions);
  try {
    return await fn(new Client({ connection, namespace, dataConverter }), config, namespace);
  } finally {
    await connection.close();
  }
}

export function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value) : text);
}
