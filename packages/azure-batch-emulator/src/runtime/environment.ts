import type { BatchServiceModels as M } from '@azure/batch';
import { join } from 'node:path';
import type { Pool } from '../store/types';
import type { NodeImage } from './apt-shim';
import type { TaskDirs } from './node-layout';

export interface EnvInput {
  image: NodeImage;
  accountName: string;
  accountUrl: string;
  pool: Pool;
  nodeId: string;
  nodeRoot: string;
  isDedicated: boolean;
  dirs: TaskDirs;
  taskId: string;
  jobId?: string;
  identity: M.UserIdentity | undefined;
  settings: (M.EnvironmentSetting[] | undefined)[];
}

/** True when the identity runs elevated: an admin auto-user, or a pool user account that is admin. */
export function isElevated(pool: Pool, identity: M.UserIdentity | undefined): boolean {
  if (identity?.autoUser) return identity.autoUser.elevationLevel === 'admin';
  if (identity?.userName) {
    const account = pool.userAccounts?.find(
      (u) => u.name.toLowerCase() === identity.userName!.toLowerCase(),
    );
    return account?.elevationLevel === 'admin';
  }
  return false;
}

function identityName(identity: M.UserIdentity | undefined, admin: boolean): string {
  if (identity?.userName) return identity.userName;
  const scope = identity?.autoUser?.scope === 'pool' ? 'Pool' : 'Task';
  return `${scope}${admin ? 'Admin' : 'NonAdmin'}`;
}

/**
 * A fresh node's environment: the system PATH behind the apt shim and the AZ_BATCH_* variables.
 * Nothing from the emulator's own environment leaks in, as on a real node.
 */
export function taskEnvironment(input: EnvInput): Record<string, string> {
  const admin = isElevated(input.pool, input.identity);
  const env: Record<string, string> = {
    PATH: admin ? input.image.adminPath : input.image.userPath,
    HOME: join(input.nodeRoot, 'home', identityName(input.identity, admin)),
    LANG: 'C.UTF-8',
    SHELL: '/bin/bash',
    USER: admin ? 'root' : '_azbatch',
    AZ_BATCH_ACCOUNT_NAME: input.accountName,
    AZ_BATCH_ACCOUNT_URL: input.accountUrl,
    AZ_BATCH_POOL_ID: input.pool.id,
    AZ_BATCH_NODE_ID: input.nodeId,
    AZ_BATCH_NODE_IS_DEDICATED: input.isDedicated ? 'true' : 'false',
    AZ_BATCH_NODE_ROOT_DIR: input.nodeRoot,
    AZ_BATCH_NODE_SHARED_DIR: join(input.nodeRoot, 'shared'),
    AZ_BATCH_NODE_STARTUP_DIR: join(input.nodeRoot, 'startup'),
    AZ_BATCH_NODE_STARTUP_WORKING_DIR: join(input.nodeRoot, 'startup', 'wd'),
    AZ_BATCH_NODE_MOUNTS_DIR: join(input.nodeRoot, 'fsmounts'),
    AZ_BATCH_TASK_DIR: input.dirs.taskDir,
    AZ_BATCH_TASK_WORKING_DIR: input.dirs.workingDir,
    AZ_BATCH_TASK_ID: input.taskId,
    AZ_BATCH_TASK_USER: identityName(input.identity, admin),
    AZ_BATCH_TASK_USER_IDENTITY: identityName(input.identity, admin),
  };
  if (input.jobId) env.AZ_BATCH_JOB_ID = input.jobId;
  for (const list of input.settings) {
    for (const s of list ?? []) env[s.name] = s.value ?? '';
  }
  return env;
}
