// The floor under the workflow: the same activities called one after another in this process,
// as the tutorial's script calls Batch, with a 50 ms poll and no Temporal. Workflow minus this
// is what orchestration costs; this minus the ideal is what storage and Batch (here the emulator)
// cost per file.
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityClients } from '../src/activities';
import { TUTORIAL_DEFAULTS } from '../src/transcode';

const POLL_MS = 50;

export interface DirectRun {
  /** Start to every output verified (ms). */
  verifiedMs: number;
  stepsMs: {
    prepare: number;
    uploadOrPool: number;
    job: number;
    addTasks: number;
    runTasks: number;
    collect: number;
  };
}

export async function runDirect(
  clients: ActivityClients,
  args: { dir: string; pattern: string; nodes: number; slotsPerNode: number; name: string },
): Promise<DirectRun> {
  const acts = createActivities(clients);
  const id = `direct-${args.name}-${Date.now().toString(36)}`;
  const input = `${id}-input`;
  const output = `${id}-output`;
  const poolId = `pool-${id}`;
  const jobId = `job-${id}`;
  const owner = id;
  const marks: number[] = [performance.now()];
  const mark = () => marks.push(performance.now());
  const run = async () => {
    await acts.checkAccess();
    const { files } = await acts.inspectLocalInput({ dir: args.dir, pattern: args.pattern });
    mark();
    await Promise.all([
      (async () => {
        await acts.ensureContainers({ names: [input, output] });
        await acts.uploadInputs({ dir: args.dir, container: input, files });
      })(),
      (async () => {
        await acts.createPoolIfAbsent({
          pool: {
            id: poolId,
            vmSize: TUTORIAL_DEFAULTS.pool.vmSize,
            dedicatedNodes: args.nodes,
            lowPriorityNodes: 0,
            taskSlotsPerNode: args.slotsPerNode,
            image: TUTORIAL_DEFAULTS.pool.image,
            startTaskCommand: TUTORIAL_DEFAULTS.pool.startTaskCommand,
          },
          ownerWorkflowId: owner,
        });
        for (;;) {
          const status = await acts.getPoolStatus({ poolId });
          if ((status.nodeStates.idle ?? 0) + (status.nodeStates.running ?? 0) > 0) break;
          await sleep(POLL_MS);
        }
      })(),
    ]);
    mark();
    await acts.createJobIfAbsent({ jobId, poolId, ownerWorkflowId: owner });
    mark();
    await acts.addTasks({
      jobId,
      files,
      extension: 'mp3',
      commandTemplate: TUTORIAL_DEFAULTS.commandTemplate,
      inputContainer: input,
      outputContainer: output,
      sasValidForMs: 3600_000,
    });
    mark();
    while ((await acts.getTaskCounts({ jobId })).completed < files.length) await sleep(POLL_MS);
    mark();
    await acts.collectTaskResults({ jobId });
    const verified = await acts.verifyOutputs({
      container: output,
      names: files.map((f) => f.blobName.replace(/\.[^.]*$/, '.mp3')),
    });
    mark();
    if (verified.missing.length > 0)
      throw new Error(`direct run: ${verified.missing.length} outputs missing`);
  };
  try {
    await new MockActivityEnvironment().run(run);
  } finally {
    await acts.deleteJob({ jobId, ownerWorkflowId: owner }).catch(() => false);
    await acts.deletePool({ poolId, ownerWorkflowId: owner }).catch(() => false);
    await acts.deleteContainer({ name: input }).catch(() => false);
    await acts.deleteContainer({ name: output }).catch(() => false);
  }
  const d = (i: number) => Math.round(marks[i + 1] - marks[i]);
  return {
    verifiedMs: Math.round(marks[marks.length - 1] - marks[0]),
    stepsMs: {
      prepare: d(0),
      uploadOrPool: d(1),
      job: d(2),
      addTasks: d(3),
      runTasks: d(4),
      collect: d(5),
    },
  };
}
