// Step 2b: the pool, created if absent, then a durable wait until it has a usable node;
// fails fast on resize errors (quota) and when every node failed its start task.
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { continueAsNewIfLong } from './continue-as-new';
import { nextPoolPollIntervalMs } from './polling';
import type { Run } from './run';

export async function createPool(run: Run): Promise<void> {
  const { plan, state } = run;
  if (plan.pool.reuse) return;
  state.created.pool = true; // attempted: cleanup checks ownership and tolerates absence
  await run.quick(`Create pool ${plan.pool.id}`).createPoolIfAbsent({
    pool: {
      id: plan.pool.id,
      vmSize: plan.pool.vmSize,
      dedicatedNodes: plan.pool.dedicatedNodes,
      lowPriorityNodes: plan.pool.lowPriorityNodes,
      taskSlotsPerNode: plan.pool.taskSlotsPerNode,
      image: plan.pool.image,
      startTaskCommand: plan.pool.startTaskCommand,
    }, // only what Batch needs: the history records this input
    ownerWorkflowId: plan.owner,
  });
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
