// Step 2b: the pool, created if absent, then a durable wait until it has a usable node;
// fails fast on resize errors (quota) and when every node failed its start task.
import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import {
  fewerNodesWouldDo,
  nextPoolPollIntervalMs,
  type TaskCounts,
  type TaskWatch,
  type TranscodePlan,
} from '../../transcode';
import { continueAsNewIfLong } from './continue-as-new';
import type { Run } from './run';
import { observeNodes } from './usage';

type Targets = { dedicated: number; lowPriority: number };

/** How often the nodes are listed while tasks still queue (for node-seconds and preemptions). */
const NODE_LIST_INTERVAL_MS = 60_000;

/**
 * The nodes the work can use: one per `taskSlotsPerNode` files, never more than configured,
 * dedicated ones first.
 */
export function fittedTargets(pool: TranscodePlan['pool'], files: number): Targets {
  const usable = Math.max(1, Math.ceil(files / pool.taskSlotsPerNode));
  const dedicated = Math.min(pool.dedicatedNodes, usable);
  return { dedicated, lowPriority: Math.min(pool.lowPriorityNodes, usable - dedicated) };
}

export async function createPool(run: Run): Promise<void> {
  const { plan, state } = run;
  if (plan.pool.reuse) return;
  state.created.pool = true; // attempted: cleanup checks ownership and tolerates absence
  const targets = patched('pool-fits-work')
    ? fittedTargets(plan.pool, run.progress.files)
    : { dedicated: plan.pool.dedicatedNodes, lowPriority: plan.pool.lowPriorityNodes };
  state.poolTargets = targets;
  run.progress.pool.targetNodes = targets.dedicated + targets.lowPriority;
  const request = run.creating(`Create pool ${plan.pool.id}`).createPoolIfAbsent({
    pool: {
      id: plan.pool.id,
      vmSize: plan.pool.vmSize,
      dedicatedNodes: targets.dedicated,
      lowPriorityNodes: targets.lowPriority,
      taskSlotsPerNode: plan.pool.taskSlotsPerNode,
      image: plan.pool.image,
      startTaskCommand: plan.pool.startTaskCommand,
    }, // only what Batch needs: the history records this input
    ownerWorkflowId: plan.owner,
  });
  run.creations.pool = request;
  await request;
  run.progress.pool.created = true;
}

export async function waitForPool(run: Run): Promise<void> {
  const { plan, state, progress } = run;
  const deadline = Date.now() + plan.pool.allocationTimeoutMs;
  for (let poll = 1; ; poll++) {
    const status = await run
      .quick(`Pool status, poll ${poll}`)
      .getPoolStatus({ poolId: plan.pool.id });
    progress.pool.allocationState = status.allocationState;
    progress.pool.nodeStates = status.nodeStates;
    run.touch();
    if (!status.exists) {
      throw ApplicationFailure.create({
        type: 'NotFound',
        nonRetryable: true,
        message: `Pool ${plan.pool.id} does not exist${plan.pool.reuse ? ': check pool.existingPoolId' : ''}.`,
      });
    }
    if (status.allocationState === 'steady' && status.resizeErrors.length > 0) {
      throw ApplicationFailure.create({
        type: 'PoolResizeError',
        nonRetryable: true,
        message:
          `Pool ${plan.pool.id} could not get its nodes: ` +
          status.resizeErrors.map((e) => `${e.code}: ${e.message}`).join('; ') +
          ' (a quota? ask for more cores or lower the node counts)',
      });
    }
    const usable = (status.nodeStates.idle ?? 0) + (status.nodeStates.running ?? 0);
    if (usable > 0) return;
    const nodes = Object.values(status.nodeStates).reduce((a, b) => a + b, 0);
    const broken = (status.nodeStates.starttaskfailed ?? 0) + (status.nodeStates.unusable ?? 0);
    if (status.allocationState === 'steady' && nodes > 0 && broken === nodes) {
      throw ApplicationFailure.create({
        type: 'PoolUnusable',
        nonRetryable: true,
        message:
          `Every node of pool ${plan.pool.id} failed its start task (${broken} node(s)): ` +
          'check pool.startTaskCommand; the node start-task logs say why.',
      });
    }
    if (Date.now() >= deadline) {
      throw ApplicationFailure.create({
        type: 'PoolUnusable',
        nonRetryable: true,
        message: `Pool ${plan.pool.id} had no usable node after ${plan.pool.allocationTimeoutMs / 60_000} min.`,
      });
    }
    await sleep(state.poolPollIntervalMs, { summary: `Wait for pool, poll ${poll}` });
    state.poolPollIntervalMs = nextPoolPollIntervalMs(state.poolPollIntervalMs, plan.polling);
    // Only once the tasks are added beside this wait: the next run resumes here, not before.
    if (state.resumeAt === 'pool-wait') await continueAsNewIfLong(run);
  }
}

/** When the nodes are next due to be listed (workflow time). */
export function nodesDueAtMs(run: Run): number {
  return (run.state.nodesListedAtMs ?? 0) + NODE_LIST_INTERVAL_MS;
}

/** The targets of a pool this run owns and may shrink as the queue empties. */
function ownedTargets(run: Run): Targets | undefined {
  const { plan, state, progress } = run;
  if (!patched('pool-follows-queue')) return undefined;
  return !plan.pool.reuse && progress.pool.created ? state.poolTargets : undefined;
}

/** What the task watch needs to hand back when the pool could shrink (none: a pool not ours). */
export function shrinkWatch(run: Run): TaskWatch['shrink'] {
  const targets = ownedTargets(run);
  if (!targets) return undefined;
  return {
    slotsPerNode: run.plan.pool.taskSlotsPerNode,
    nodes: targets.dedicated + targets.lowPriority,
    fittedAtRunning: run.state.fittedAtRunning,
  };
}

/**
 * During the task wait: once no task is queued, nodes with nothing left to run are let go —
 * the pool shrinks to the nodes still running tasks, each leaving when its task completes
 * (Batch's `taskcompletion`), so the tail of a run does not pay for idle nodes. While tasks
 * queue, the nodes are listed now and then for the run's node-seconds.
 */
export async function fitPoolToQueue(run: Run, counts: TaskCounts): Promise<void> {
  const { plan, state, progress } = run;
  if (!patched('pool-follows-queue')) return;
  const dueForList = Date.now() >= nodesDueAtMs(run);
  const slots = plan.pool.taskSlotsPerNode;
  const targets = ownedTargets(run);
  const shrinkable =
    targets !== undefined &&
    fewerNodesWouldDo(counts, slots, targets.dedicated + targets.lowPriority);
  if (!shrinkable) {
    if (dueForList) await observeNodes(run, `Pool nodes, poll ${progress.polls}`);
    return;
  }
  const nodes = await observeNodes(run, `Pool nodes, poll ${progress.polls}`);
  const busy = nodes.filter((n) => n.state === 'running');
  const keep: Targets = {
    dedicated: Math.min(targets.dedicated, busy.filter((n) => n.dedicated).length),
    lowPriority: Math.min(targets.lowPriority, busy.filter((n) => !n.dedicated).length),
  };
  // The node list can lag the counts: shrink only to nodes that it shows busy, and never to
  // none while a task is unfinished (counts lag too: a task may be between states).
  const kept = keep.dedicated + keep.lowPriority;
  if (kept === 0 || kept < Math.ceil(counts.running / slots)) return;
  const outcome = await run.quick(`Shrink pool to ${kept} node(s)`).resizePool({
    poolId: plan.pool.id,
    ownerWorkflowId: plan.owner,
    targets: keep,
    deallocation: 'taskcompletion',
  });
  if (outcome === 'resized' || outcome === 'unchanged') {
    state.poolTargets = keep;
    progress.pool.targetNodes = kept;
  }
}

/**
 * While a cleanup decision is awaited: the pool down to 0 nodes, kept for inspection (its job,
 * task files aside, stays), unless the user asked to keep its nodes.
 */
export async function idlePoolWhileWaiting(run: Run): Promise<void> {
  const { plan, state, progress } = run;
  if (plan.pool.reuse || !progress.pool.created || plan.cleanup.keepNodesWhileWaiting) return;
  if (!patched('pool-idle-while-waiting')) return;
  const outcome = await run.quick('Resize pool to 0 nodes while waiting').resizePool({
    poolId: plan.pool.id,
    ownerWorkflowId: plan.owner,
    targets: { dedicated: 0, lowPriority: 0 },
    deallocation: 'requeue',
    // Our own shrink may still be letting nodes finish: the tasks are done, so it ends soon.
    waitWhileResizing: true,
  });
  if (outcome !== 'gone') {
    state.poolTargets = { dedicated: 0, lowPriority: 0 };
    progress.pool.targetNodes = 0;
  }
}
