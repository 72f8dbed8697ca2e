// The Temporal dev server from the real Temporal CLI, with its Web UI and a SQLite state file.
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from './bootstrap.cjs';
import { spawnManaged, waitUntilReady, httpGet, type ManagedChild } from './child';
import { freePort, isListening, PortInUseError } from './ports';
import { searchAttributeFlags } from '../transcode';

export interface TemporalService {
  address: string;
  uiUrl: string;
  /** undefined when an already running dev server was reused. */
  child?: ManagedChild;
  stop(): Promise<void>;
}

export interface TemporalOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  /** Reuse a healthy Temporal server already on the port (false in tests). */
  reuse: boolean;
}

/** True when a Temporal frontend answers GetSystemInfo on the address. */
export async function isTemporalServer(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1500 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function startTemporal(options: TemporalOptions): Promise<TemporalService> {
  const address = `127.0.0.1:${options.port}`;
  const uiUrl = `http://127.0.0.1:${options.uiPort}`;
  if (await isListening(options.port)) {
    if (options.reuse && (await isTemporalServer(address))) {
      return { address, uiUrl, stop: () => Promise.resolve() };
    }
    throw new PortInUseError(options.port, 'the Temporal server', 'TEMPORAL_PORT');
  }
  if (await isListening(options.uiPort)) {
    throw new PortInUseError(options.uiPort, 'the Temporal Web UI', 'TEMPORAL_UI_PORT');
  }
  const cli = findTemporalCli();
  if (!cli) throw new Error('No Temporal CLI: run `npm run bootstrap` first.');
  const dir = path.join(options.dataDir, 'temporal');
  const child = spawnManaged({
    name: 'Temporal dev server',
    command: cli.path,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--http-port',
      String(await freePort()),
      '--db-filename',
      path.join(dir, 'temporal.db'),
      // A write-ahead log synced at checkpoints, not at each commit: every workflow task and
      // activity dispatch is a commit. A killed or restarted server loses nothing (the log is
      // replayed); only a power loss could drop the last commits, which the activities'
      // idempotence covers (README, the data dir).
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
      '--log-level',
      'warn',
      // The timer queue otherwise batches timers to a 1 s grain: a 50 ms poll timer fired after
      // ~1 s (10 x 50 ms sleeps: 10.0 s by default, 0.66 s with this; measured here).
      '--dynamic-config-value',
      'history.timerProcessorMaxTimeShift="10ms"',
      ...searchAttributeFlags.flatMap((flag) => ['--search-attribute', flag]),
    ],
    logFile: path.join(dir, 'server.log'),
  });
  await waitUntilReady(
    child,
    async () => (await isTemporalServer(address)) && (await httpGet(uiUrl))?.status === 200,
    60_000,
  );
  return { address, uiUrl, child, stop: () => child.stop() };
}
