import type { BatchServiceModels as M } from '@azure/batch';
import { join } from 'node:path';
import type { Pool } from '../store/types';
import type { NodeImage } from './apt-shim';
import type { TaskDirs } from './node-layout';
import { runAs, type RunAs, type TaskUsers } from './task-user';

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
  identity: TaskIdentity;
  settings: (M.EnvironmentSetting[] | undefined)[];
}

/** Who a task is: Batch's identity, and the OS user and home it gets here. */
export interface TaskIdentity {
  /** AZ_BATCH_TASK_USER: the pool user account's name, or PoolAdmin, TaskNonAdmin, ... */
  name: string;
  admin: boolean;
  /** The OS user its processes run as. */
  user: RunAs;
  /** HOME: `<node root>/home/<name>`, owned by that user. */
  home: string;
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

/** The identity a task or start task runs under on this node. */
export function taskIdentity(
  pool: Pool,
  identity: M.UserIdentity | undefined,
  users: TaskUsers,
  root: string,
): TaskIdentity {
  const admin = isElevated(pool, identity);
  const name = identityName(identity, admin);
  // One path segment whatever a pool user account is called.
  const dir = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+$/, '_');
  return { name, admin, user: runAs(users, admin), home: join(root, 'home', dir) };
}

/**
 * A fresh node's environment: the system PATH behind the apt shim and the AZ_BATCH_* variables.
 * Nothing from the emulator's own environment leaks in, as on a real node: no account key, no
 * storage credential (AZ_BATCH_ACCOUNT_URL is only where the service is).
 */
export function taskEnvironment(input: EnvInput): Record<string, string> {
  const { admin, name, user } = input.identity;
  const env: Record<string, string> = {
    PATH: admin ? input.image.adminPath : input.image.userPath,
    HOME: input.identity.home,
    LANG: 'C.UTF-8',
    SHELL: '/bin/bash',
    USER: user.name,
    LOGNAME: user.name,
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
    AZ_BATCH_TASK_USER: name,
    AZ_BATCH_TASK_USER_IDENTITY: name,
  };
  if (input.jobId) env.AZ_BATCH_JOB_ID = input.jobId;
  for (const list of input.settings) {
    for (const s of list ?? []) env[s.name] = s.value ?? '';
  }
  return env;
}
