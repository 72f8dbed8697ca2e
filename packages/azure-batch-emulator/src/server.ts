import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { handleAdmin, type AdminTarget } from './admin';
import { SharedKeyAuthenticator } from './auth/shared-key';
import { BearerAuthenticator } from './auth/bearer';
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from './config';
import { Errors } from './errors';
import { FaultInjector } from './faults';
import { buildRoutes } from './handlers/routes';
import { buildPipeline } from './pipeline';
import { newContext } from './pipeline/context';
import { launcher } from './runtime/launcher';
import { Runtime } from './runtime/runtime';
import { Stats, type StatsSnapshot } from './stats';
import { MemoryStore, replayJournal, type StoreSnapshot } from './store/memory-store';
import { JsonFilePersistence } from './store/persistence';

interface StateFile {
  version: 1;
  store: StoreSnapshot;
  stats: StatsSnapshot;
}

export interface EmulatorStats {
  operations: Record<string, Record<string, number>>;
  faults: Record<string, number>;
  /** API requests per api-version (`missing`; `unsupported` for one the emulator does not serve). */
  apiVersions: Record<string, number>;
  /** API requests whose client hung up before sending all of it (also per operation). */
  disconnected: number;
  /** Ever created (since the last reset; survives restarts). */
  created: { pools: number; jobs: number; tasks: number };
  /** Existing now. */
  live: { pools: number; jobs: number; tasks: number; nodes: number; runningTasks: number };
}

export interface EmulatorInfo {
  url: string;
  accountName: string;
  accountKey: string;
  dataDir: string;
}

/** The emulator's lifecycle: start, stop, reset, info; the API and the control plane on one port. */
export class BatchEmulatorServer implements AdminTarget {
  readonly options: ResolvedOptions;
  readonly faults: FaultInjector;
  private readonly stats_ = new Stats();
  private readonly store: MemoryStore;
  private readonly persistence: JsonFilePersistence;
  private runtime!: Runtime;
  private server: Server | undefined;
  private baseUrl = '';

  constructor(opts: EmulatorOptions) {
    this.options = resolveOptions(opts);
    this.faults = new FaultInjector(this.options.faults);
    this.store = new MemoryStore(() => this.persistence.schedule());
    let statsWritten = '';
    this.persistence = new JsonFilePersistence(
      join(this.options.dataDir, 'state.json'),
      this.options.persistDebounceMs,
      {
        snapshot: (): StateFile => ({
          version: 1,
          store: this.store.snapshot(),
          stats: this.stats_.snapshot(),
        }),
        changes: () => {
          const lines = this.store.changes();
          if (!lines) return '';
          // Statistics ride along with the state's changes, as they did in each whole write.
          const stats = JSON.stringify({ t: 'stats', stats: this.stats_.snapshot() });
          if (stats === statsWritten) return lines;
          statsWritten = stats;
          return `${lines}${stats}\n`;
        },
      },
      this.options.log,
    );
  }

  get accountName(): string {
    return this.options.accountName;
  }

  url(): string {
    return this.baseUrl;
  }

  info(): EmulatorInfo {
    return {
      url: this.baseUrl,
      accountName: this.options.accountName,
      accountKey: this.options.accountKey,
      dataDir: this.options.dataDir,
    };
  }

  async start(): Promise<void> {
    if (this.options.nodeCpus) launcher.placeOn(this.options.nodeCpus);
    mkdirSync(this.options.dataDir, { recursive: true });
    const saved = this.persistence.load();
    if (saved) {
      const snapshot = saved.snapshot as StateFile | undefined;
      const base = snapshot?.version === 1 ? snapshot : undefined;
      const entries = saved.entries as { t?: string; stats?: StatsSnapshot }[];
      this.store.restore(replayJournal(base?.store, entries));
      const stats = entries.filter((e) => e.t === 'stats').pop()?.stats ?? base?.stats;
      this.stats_.restore(stats);
      // Start from one snapshot again, so the journal only ever follows the latest one.
      if (entries.length > 0) this.persistence.compactSync();
    }
    this.runtime = new Runtime(this.store, this.options);
    const pipeline = buildPipeline({
      routes: buildRoutes({
        store: this.store,
        runtime: this.runtime,
        options: this.options,
        serviceUrl: () => this.baseUrl,
      }),
      authenticators: [
        new SharedKeyAuthenticator(this.options.accountName, this.options.accountKey),
        new BearerAuthenticator(this.options.tokenTrust),
      ],
      faults: this.faults,
      stats: this.stats_,
      log: this.options.log,
      persist: () => this.persistence.flush(),
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
    const timeoutMs = this.options.requestTimeoutMs;
    const server = createServer(
      // Check for expired headers and requests at a pace that fits the limits below.
      { connectionsCheckingInterval: Math.max(100, Math.min(1000, timeoutMs / 4)) },
      (req, res) => {
        if ((req.url ?? '').startsWith('/_emulator/')) {
          handleAdmin(this, req, res).catch((err: unknown) => {
            this.options.log(`control plane: ${String(err)}`);
            res.destroy();
          });
          return;
        }
        pipeline(newContext(req, res)).catch((err: unknown) => {
          this.options.log(`pipeline: ${String(err)}`);
          res.destroy();
        });
      },
    );
    // Clients keep connections alive; idle ones must not hold stop() up.
    server.keepAliveTimeout = 5000;
    // Slow clients: headers must arrive within the limit (else Node answers a bare 408 and
    // closes); an API request's body is watched by the pipeline (a Batch 408, see
    // pipeline/errors.ts). Node's whole-request limit is the backstop for the rest (a body left
    // unread after an early answer, the control plane); its default would be 5 minutes.
    server.headersTimeout = timeoutMs;
    server.requestTimeout = timeoutMs * 3;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host =
      this.options.host === '0.0.0.0' || this.options.host === '::'
        ? '127.0.0.1'
        : this.options.host;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.runtime.setServiceUrl(this.baseUrl);
    this.runtime.recover();
  }

  /** Stops serving, kills every task process, and writes the state (running tasks stay running). */
  async stop(): Promise<void> {
    await this.runtime?.stop();
    await this.persistence.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Forgets everything: pools, jobs, tasks, node directories, statistics, fault settings. */
  async reset(): Promise<void> {
    await this.runtime.reset();
    this.store.clear();
    this.stats_.reset();
    this.faults.reset();
    await this.persistence.flush();
  }

  stats(): EmulatorStats {
    const snap = this.stats_.snapshot();
    const pools = this.store.listPools();
    const jobs = this.store.listJobs();
    return {
      ...snap,
      created: { ...this.store.created },
      live: {
        pools: pools.length,
        jobs: jobs.length,
        tasks: jobs.reduce((n, j) => n + j.tasks.size, 0),
        nodes: pools.reduce((n, p) => n + p.nodes.size, 0),
        runningTasks: this.runtime.runningTasks,
      },
    };
  }

  preempt(poolId: string, nodeId: string | undefined, count: number): string[] {
    const pool = this.store.getPool(poolId);
    if (!pool) throw Errors.poolNotFound();
    if (nodeId !== undefined) {
      const node = pool.nodes.get(nodeId.toLowerCase());
      if (!node) throw Errors.nodeNotFound();
      this.runtime.preempt(pool, node);
      return [node.node.id];
    }
    const candidates = [...pool.nodes.values()]
      .filter((n) => !n.node.isDedicated && n.node.state !== 'preempted')
      .sort((a, b) => (b.node.runningTasksCount ?? 0) - (a.node.runningTasksCount ?? 0))
      .slice(0, Math.max(1, count));
    for (const n of candidates) this.runtime.preempt(pool, n);
    return candidates.map((n) => n.node.id);
  }
}
