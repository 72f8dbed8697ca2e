// Node time of a run: each node counted from its allocation (or the run's start, if later) to
// the last time the run saw it in the pool, by priority; with prices given, its cost.
import type { RunUsage } from '../../transcode';
import type { Run } from './run';
import type { NodeSighting, RunState } from './state';

/** Nodes remembered per run: Batch's largest pool (dedicated + low-priority targets). */
const MAX_NODES_REMEMBERED = 2000;

/** Lists the pool's nodes, remembers each one's time in the pool, and updates the usage. */
export async function observeNodes(
  run: Run,
  summary: string,
): Promise<Array<{ id: string; dedicated: boolean; state: string }>> {
  const { plan, state } = run;
  const listed = await run.quick(summary).listNodeAllocations({ poolId: plan.pool.id });
  const now = Date.now();
  state.nodesListedAtMs = now;
  const seen = (state.nodesSeen ??= {});
  for (const node of listed.nodes) {
    let sighting: NodeSighting | undefined = seen[node.id];
    if (!sighting) {
      if (Object.keys(seen).length >= MAX_NODES_REMEMBERED) continue;
      const fromMs = Math.max(node.allocatedAtMs ?? now, state.startedAtMs);
      sighting = seen[node.id] = { dedicated: node.dedicated, fromMs, lastSeenMs: fromMs };
    }
    // A preempted node costs nothing until it is allocated again.
    if (node.state === 'preempted') sighting.preempted = true;
    else sighting.lastSeenMs = Math.max(sighting.lastSeenMs, now);
  }
  run.progress.usage = usageOf(state, now);
  run.touch();
  return listed.nodes;
}

export function usageOf(state: Pick<RunState, 'nodesSeen' | 'plan'>, nowMs: number): RunUsage {
  let dedicatedMs = 0;
  let spotMs = 0;
  let preemptedNodes = 0;
  for (const node of Object.values(state.nodesSeen ?? {})) {
    const ms = Math.max(0, node.lastSeenMs - node.fromMs);
    if (node.dedicated) dedicatedMs += ms;
    else spotMs += ms;
    if (node.preempted) preemptedNodes++;
  }
  const usage: RunUsage = {
    dedicatedNodeSeconds: Math.round(dedicatedMs / 1000),
    spotNodeSeconds: Math.round(spotMs / 1000),
    preemptedNodes,
    asOf: new Date(nowMs).toISOString(),
  };
  const prices = state.plan.cost;
  if (prices) {
    const amount =
      (dedicatedMs / 3_600_000) * (prices.dedicatedPerHour ?? 0) +
      (spotMs / 3_600_000) * (prices.spotPerHour ?? 0);
    usage.cost = { amount: Math.round(amount * 1e6) / 1e6, currency: prices.currency };
  }
  return usage;
}
