// Submitting tasks with nothing running beside it: the workflow's own addTasks activity against
// a job on a pool without nodes, timing the call and the CPU it costs on each side (this process
// for the activity, the emulator's process for the service).
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities';
import { type InputFile, TUTORIAL_DEFAULTS } from '../src/transcode';
import type { BenchEnv } from './harness';
import { cpuOf } from './cpu';

export async function submitWithoutRunning(env: BenchEnv, files: InputFile[]) {
  const batch = createActivities(env.azure);
  const id = `submit-${Date.now().toString(36)}`;
  const owner = id;
  const poolId = `pool-${id}`;
  const jobId = `job-${id}`;
  const emulatorPid = env.stack.batch?.child?.pid;
  await batch.createPoolIfAbsent({
    pool: {
      id: poolId,
      vmSize: TUTORIAL_DEFAULTS.pool.vmSize,
      dedicatedNodes: 0,
      lowPriorityNodes: 0,
      taskSlotsPerNode: 1,
      image: TUTORIAL_DEFAULTS.pool.image,
      startTaskCommand: '/bin/true',
    },
    ownerWorkflowId: owner,
  });
  await batch.createJobIfAbsent({ jobId, poolId, ownerWorkflowId: owner });
  try {
    const cpu0 = process.cpuUsage();
    const emulator0 = cpuOf(emulatorPid).selfMs;
    const t0 = performance.now();
    await new MockActivityEnvironment().run(() =>
      batch.addTasks({
        jobId,
        files,
        extension: 'out',
        commandTemplate: '/bin/bash -c "cp {input} {output}"',
        inputContainer: `${id}-input`,
        outputContainer: `${id}-output`,
        sasValidForMs: 3600_000,
      }),
    );
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      ms: Math.round(ms),
      activityCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      emulatorCpuMs: Math.round(cpuOf(emulatorPid).selfMs - emulator0),
    };
  } finally {
    await batch.deleteJob({ jobId, ownerWorkflowId: owner }).catch(() => false);
    await batch.deletePool({ poolId, ownerWorkflowId: owner }).catch(() => false);
  }
}
