// One loop per served run, shared by every viewer of the page: at each refresh it describes the
// run, asks its `progress` query and lists its pool's nodes (one Batch call), then hands the
// resulting view to every subscriber. A viewer never causes a call of its own.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { PoolNode } from '../activities/batch/nodes';
import { EtaEstimator } from '../cli/eta';
import { nodeCategory, type NodeCategory } from '../cli/heatmap';
import { readPending, withWatchedCounts } from '../cli/pending';
import type { PoolNodeLister } from '../cli/pool-nodes';
import { progressQuery, type Progress, type TranscodeWorkflow } from '../transcode';
import { usageText } from '../transcode/progress';

export interface NodeView extends PoolNode {
  category: NodeCategory;
}

/** What the page shows: everything one refresh learnt, and why some of it may be missing. */
export interface RunView {
  workflowId: string;
  /** Temporal's status of the run: RUNNING, COMPLETED, FAILED, TERMINATED… */
  status?: string;
  /** The run is closed: the page shows its final state and sends nothing. */
  ended: boolean;
  progress?: Progress;
  /** Undefined while unknown; empty once the pool is gone. */
  nodes?: NodeView[];
  /** Why there are no nodes to show (no pool yet, pool deleted, the list failed). */
  nodesNote?: string;
  etaMs?: number;
  /** Node time and cost so far, as the CLI words it (runs that report usage only). */
  usage?: string;
  /** How a closed run ended (its result message or failure). */
  outcome?: { status: string; message: string };
  /** What stands in the way (no worker answers, Temporal unreachable): shown, retried. */
  problem?: string;
  refreshes: number;
  refreshedAt: string;
  refreshMs: number;
}

type TranscodeHandle = WorkflowHandle<TranscodeWorkflow>;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class RunMonitor {
  private view: RunView;
  private readonly subscribers = new Set<(view: RunView) => void>();
  private readonly eta = new EtaEstimator();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly handle: TranscodeHandle,
    private readonly listNodes: PoolNodeLister,
    /** Between refreshes while the run goes; a closed run is looked at rarely. */
    private readonly refreshMs = 1000,
  ) {
    this.view = {
      workflowId: handle.workflowId,
      ended: false,
      refreshes: 0,
      refreshedAt: new Date().toISOString(),
      refreshMs,
    };
  }

  current(): RunView {
    return this.view;
  }

  /** Calls `fn` with every new view (and now with the current one); returns the unsubscribe. */
  subscribe(fn: (view: RunView) => void): () => void {
    this.subscribers.add(fn);
    fn(this.view);
    return () => this.subscribers.delete(fn);
  }

  /** Refreshes now, then on its own until stopped. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  /** A refresh out of turn (after a button was pressed). */
  async poke(): Promise<void> {
    clearTimeout(this.timer);
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    // A closed run that showed its final state changes no more.
    const done = this.view.ended && this.view.progress && !this.view.problem;
    this.timer = setTimeout(
      () => void this.refresh().finally(() => this.schedule()),
      done ? this.refreshMs * 10 : this.refreshMs,
    );
  }

  private async refresh(): Promise<void> {
    const next: RunView = { ...this.view, problem: undefined };
    let description: Awaited<ReturnType<TranscodeHandle['describe']>>;
    try {
      description = await withTimeout(this.handle.describe(), this.answerMs());
      next.status = description.status.name;
      next.ended = next.status !== 'RUNNING';
    } catch (err) {
      this.publish({ ...next, problem: `Temporal does not answer: ${message(err)}. Retrying.` });
      return;
    }
    if (next.ended && !next.outcome) next.outcome = await this.outcome();
    try {
      const queried = await withTimeout(this.handle.query(progressQuery), this.answerMs());
      // While the tasks run, their latest counts are in the task watch's heartbeat.
      next.progress =
        queried.phase === 'running'
          ? withWatchedCounts(
              queried,
              (
                await readPending(
                  description.raw.pendingActivities ?? [],
                  this.handle.client.options.loadedDataConverter,
                  queried,
                )
              ).taskWatch,
            )
          : queried;
    } catch (err) {
      // A query needs a worker, even for a closed run: keep the last view and say why.
      next.problem =
        `No worker answers the run's progress query (is a worker running?): ${message(err)}. ` +
        'Retrying.';
    }
    const progress = next.progress;
    if (progress && !next.ended && progress.pool.id) {
      try {
        const nodes = await this.listNodes(progress.pool.id);
        next.nodes = nodes?.map((n) => ({ ...n, category: nodeCategory(n.state) }));
        next.nodesNote = nodes ? undefined : `pool ${progress.pool.id} does not exist (yet)`;
      } catch (err) {
        next.nodesNote = `could not list the nodes of pool ${progress.pool.id}: ${message(err)}`;
      }
    } else if (next.ended) {
      next.nodes = [];
      next.nodesNote = progress?.cleanup.deleted.includes(`pool ${progress.pool.id}`)
        ? `pool ${progress.pool.id} deleted`
        : 'the run has ended';
    }
    next.etaMs =
      progress?.phase === 'running'
        ? this.eta.estimate(progress.tasks.counts.completed, progress.tasks.total)
        : undefined;
    next.usage = progress?.usage ? usageText(progress.usage) : undefined;
    this.publish(next);
  }

  /** A query waits for a worker as long as the server lets it: say sooner that none answers. */
  private answerMs(): number {
    return Math.max(3000, this.refreshMs * 3);
  }

  private async outcome(): Promise<RunView['outcome']> {
    try {
      const result = await this.handle.result();
      return { status: result.status, message: result.message };
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        return { status: 'failed', message: message(err.cause ?? err) };
      }
      return { status: 'unknown', message: message(err) };
    }
  }

  private publish(view: RunView): void {
    this.view = {
      ...view,
      refreshes: view.refreshes + 1,
      refreshedAt: new Date().toISOString(),
    };
    for (const fn of this.subscribers) fn(this.view);
  }
}
