import { join } from 'node:path';

/**
 * Where a node lives on disk, laid out like a Batch Linux node's AZ_BATCH_NODE_ROOT_DIR
 * (/mnt/batch/tasks): shared/, startup/, workitems/<job>/job-1/<task>/wd, applications/.
 */
export function nodeRoot(dataDir: string, poolId: string, nodeId: string): string {
  return join(dataDir, 'nodes', poolId, nodeId);
}

export function poolRoot(dataDir: string, poolId: string): string {
  return join(dataDir, 'nodes', poolId);
}

export const NODE_SUBDIRS = [
  'shared',
  'startup',
  'workitems',
  'applications',
  'fsmounts',
  'volatile',
];

export interface TaskDirs {
  /** AZ_BATCH_TASK_DIR: holds stdout.txt, stderr.txt and wd/. */
  taskDir: string;
  /** AZ_BATCH_TASK_WORKING_DIR. */
  workingDir: string;
  /** The task directory relative to the node root, as nodeInfo.taskRootDirectory reports it. */
  relative: string;
}

export function taskDirs(root: string, jobId: string, taskId: string): TaskDirs {
  const relative = join('workitems', jobId, 'job-1', taskId);
  const taskDir = join(root, relative);
  return { taskDir, workingDir: join(taskDir, 'wd'), relative };
}

export function startTaskDirs(root: string): TaskDirs {
  const taskDir = join(root, 'startup');
  return { taskDir, workingDir: join(taskDir, 'wd'), relative: 'startup' };
}
