// The nodes of a pool as the portal's heatmap shows them: id, state and the tasks running on
// each. Not an activity: the client's live views (`watch` on a TTY, `watch --web`) call it with
// the user's own Azure settings, one list call per refresh, $select keeping the answer small.
import type { BatchServiceClient } from '@azure/batch';
import { lower } from './clients';

export interface PoolNode {
  id: string;
  /** Batch's node state in lower case: creating, starting, idle, running, starttaskfailed, preempted… */
  state: string;
  dedicated: boolean;
  /** Ids of the tasks running on the node (from its recentTasks). */
  runningTasks: string[];
}

const SELECT = 'id,state,isDedicated,recentTasks';

/** The pool's nodes, sorted by id; undefined when the pool does not exist (not yet, or deleted). */
export async function listPoolNodes(
  batch: BatchServiceClient,
  poolId: string,
): Promise<PoolNode[] | undefined> {
  const nodes: PoolNode[] = [];
  try {
    let page = await batch.computeNode.list(poolId, {
      computeNodeListOptions: { select: SELECT, maxResults: 1000 },
    });
    for (;;) {
      for (const node of page) {
        const state = lower(node.state);
        nodes.push({
          id: node.id ?? '',
          state,
          dedicated: node.isDedicated ?? false,
          // recentTasks keeps finished tasks too: only a running node runs any.
          runningTasks:
            state === 'running'
              ? (node.recentTasks ?? [])
                  .filter((t) => lower(t.taskState) === 'running')
                  .map((t) => t.taskId ?? '')
              : [],
        });
      }
      if (!page.odatanextLink) break;
      page = await batch.computeNode.listNext(page.odatanextLink);
    }
  } catch (err) {
    const e = err as { statusCode?: number; code?: string };
    if (e.statusCode === 404 || e.code === 'PoolNotFound') return undefined;
    throw err;
  }
  return nodes.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}
