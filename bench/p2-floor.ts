// P2's floor: what no way of driving the stack can avoid on the tutorial's workload. The pool
// (the tutorial's: five low-priority nodes, ffmpeg in the start task) must be allocated, its
// nodes started and their start task run; then the five ffmpeg commands share the machine's
// cores. Both are measured on P2's own stack: the pool through the product's activities, polled
// every 50 ms until every node is idle, and ffmpeg alone with `xargs -P 5`.
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../src/activities';
import type { AppConfig } from '../src/config';
import { createAzureClients } from '../src/azure-clients';
import { TUTORIAL_DEFAULTS } from '../src/transcode';
import { idealXargs } from './ideal';
import { round } from './phases';

const POLL_MS = 50;

/** Wall time from asking for the tutorial's pool to every node idle (ms); the pool is deleted. */
async function tutorialPoolReadyMs(config: AppConfig): Promise<number> {
  const activities = createActivities(createAzureClients(config));
  const id = `p2-floor-${Date.now().toString(36)}`;
  const { pool } = TUTORIAL_DEFAULTS;
  const nodes = pool.dedicatedNodes + pool.lowPriorityNodes;
  const started = performance.now();
  await activities.createPoolIfAbsent({ pool: { id, ...pool }, ownerWorkflowId: id });
  try {
    for (;;) {
      const status = await activities.getPoolStatus({ poolId: id });
      if ((status.nodeStates.idle ?? 0) >= nodes) return performance.now() - started;
      if ((status.nodeStates.starttaskfailed ?? 0) > 0) {
        throw new Error(`P2 floor: the start task failed on pool ${id}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await activities.deletePool({ poolId: id, ownerWorkflowId: id });
  }
}

/**
 * The floor of a run of `files` on P2's stack: the pool's ready time plus ffmpeg alone on this
 * machine, each measured once (the faster of two for ffmpeg).
 */
export async function p2Floor(config: AppConfig, files: string[]) {
  const poolReadyMs = round(await tutorialPoolReadyMs(config));
  const outDir = path.join(os.tmpdir(), `durable-batch-bench-p2-floor-${process.pid}`);
  const ffmpegMs = round(
    Math.min(
      await idealXargs(files, outDir, files.length),
      await idealXargs(files, outDir, files.length),
    ),
  );
  return { poolReadyMs, ffmpegMs, floorMs: poolReadyMs + ffmpegMs };
}
