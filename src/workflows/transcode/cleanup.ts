// Step 7: the input container deleted (as in the tutorial), then the job and pool per the
// policy — only those this run created, and only once a person or the deadline decides.
import { condition, patched } from '@temporalio/workflow';
import { step } from './failures';
import { idlePoolWhileWaiting } from './pool';
import type { Run } from './run';
import { observeNodes } from './usage';
import type { CleanupDecisionRecord } from './state';

export async function cleanUp(run: Run): Promise<void> {
  const { state, progress } = run;
  run.enter('cleaning-up');
  // The steps that do not depend on each other go side by side (histories from before: in turn).
  const sideBySide = patched('cleanup-side-by-side');
  const inTurnOrTogether = async (steps: Array<() => Promise<void>>) => {
    if (sideBySide) await Promise.all(steps.map((s) => s()));
    else for (const s of steps) await s();
  };
  await inTurnOrTogether([
    () => deleteContainers(run),
    async () => {
      if (!state.created.job && !state.created.pool) return;
      if (progress.pool.created && patched('node-usage-at-cleanup')) {
        // The last sighting of the nodes before they go: the end of the run's node-seconds.
        await step(run, 'list pool nodes', async () => {
          await observeNodes(run, 'Pool nodes before cleanup');
        });
      }
    },
  ]);
  if (!state.created.job && !state.created.pool) return;

  const decision = await decide(run);
  progress.cleanup.decision = decision;
  await inTurnOrTogether([() => deleteJob(run, decision), () => deletePool(run, decision)]);
}

/** The input container (as in the tutorial), and an output container a failed run left empty. */
async function deleteContainers(run: Run): Promise<void> {
  const { plan, state, progress } = run;
  if (state.created.inputContainer) {
    // A creation cancelled on its way may still land: deleted after it (older runs: at once,
    // with no await here, to keep their order of commands).
    const creating = run.creations.containers;
    if (creating) await creating.catch(() => undefined);
    await step(run, 'delete input container', async () => {
      await run
        .quick(`Delete container ${plan.inputContainer}`)
        .deleteContainer({ name: plan.inputContainer });
      progress.cleanup.deleted.push(`container ${plan.inputContainer}`);
    });
  }
  if (plan.ownsOutputContainer && progress.status !== 'running') {
    // A failed or cancelled run that stored nothing leaves no empty container behind.
    await step(run, 'delete empty output container', async () => {
      const removed = await run
        .quick(`Delete container ${plan.outputContainer} if empty`)
        .deleteContainerIfEmpty({ name: plan.outputContainer });
      if (removed) progress.cleanup.deleted.push(`container ${plan.outputContainer}`);
    });
  }
}

async function deleteJob(run: Run, decision: CleanupDecisionRecord) {
  const { plan, state, progress } = run;
  if (!state.created.job) return;
  if (!decision.deleteJob) {
    progress.cleanup.kept.push(`job ${plan.jobId}`);
    return;
  }
  await run.creations.job?.catch(() => undefined);
  await step(run, 'delete job', async () => {
    const sent = await run
      .quick(`Delete job ${plan.jobId}`)
      .deleteJob({ jobId: plan.jobId, ownerWorkflowId: plan.owner });
    // Gone although it was created: an earlier attempt of this delete did it.
    if (sent || progress.job.created) progress.cleanup.deleted.push(`job ${plan.jobId}`);
  });
}

async function deletePool(run: Run, decision: CleanupDecisionRecord) {
  const { plan, state, progress } = run;
  if (!state.created.pool) return;
  if (!decision.deletePool) {
    progress.cleanup.kept.push(`pool ${plan.pool.id}`);
    return;
  }
  // A creation cancelled on its way may still land: deleted after it, not before.
  await run.creations.pool?.catch(() => undefined);
  await step(run, 'delete pool', async () => {
    const sent = await run
      .quick(`Delete pool ${plan.pool.id}`)
      .deletePool({ poolId: plan.pool.id, ownerWorkflowId: plan.owner });
    if (sent || progress.pool.created) progress.cleanup.deleted.push(`pool ${plan.pool.id}`);
  });
}

/** The signal's decision, the policy's, or — with `ask` — a wait until the deadline. */
async function decide(run: Run): Promise<CleanupDecisionRecord> {
  const { plan, state, progress } = run;
  const byDefault = (): CleanupDecisionRecord => {
    const remove = plan.cleanup.defaultDecision === 'delete';
    return { deleteJob: remove, deletePool: remove, by: 'default' };
  };
  if (state.cleanupDecision) return state.cleanupDecision;
  if (plan.cleanup.policy === 'ask') {
    // Failed before any task could run (e.g. the pool got no node): there is nothing to
    // inspect, so do not keep a pool waiting for a decision.
    if (progress.tasksDeadline === undefined && progress.status === 'failed') return byDefault();
    progress.cleanup.decisionDeadline = new Date(
      Date.now() + plan.cleanup.decisionTimeoutMs,
    ).toISOString();
    run.enter('awaiting-cleanup-decision');
    // Nobody pays for idle nodes while a person decides: the pool stays, without nodes.
    await step(run, 'resize pool to 0 nodes', () => idlePoolWhileWaiting(run));
    await condition(() => state.cleanupDecision !== undefined, plan.cleanup.decisionTimeoutMs, {
      summary: 'Wait for the cleanup decision (approveCleanup)',
    });
    run.enter('cleaning-up');
    return state.cleanupDecision ?? byDefault();
  }
  const remove = plan.cleanup.policy === 'always';
  return { deleteJob: remove, deletePool: remove, by: 'policy' };
}
