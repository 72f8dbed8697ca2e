import type { BatchServiceModels as M } from '@azure/batch';
import type { MapperName } from './serializer';

/**
 * What the service answers is not what it was sent: it never returns a secret (user account
 * passwords and SSH keys, container registry passwords, mount keys), it fills in the defaults
 * it applied (a task's or start task's auto-user, start task retries and waitForSuccess, a user
 * account's elevation level, the image version), and it spells `nodeFillType` `Spread`/`Pack`
 * (recorded service answers). Stored models stay as they are; answers are copies.
 */

/** The auto-user a task or start task runs as when it names none (AutoUserSpecification). */
const DEFAULT_AUTO_USER: M.AutoUserSpecification = { scope: 'pool', elevationLevel: 'nonadmin' };

function identity(ui: M.UserIdentity | undefined): M.UserIdentity {
  if (!ui || (ui.userName === undefined && ui.autoUser === undefined)) {
    return { autoUser: { ...DEFAULT_AUTO_USER } };
  }
  if (ui.autoUser) return { ...ui, autoUser: { ...DEFAULT_AUTO_USER, ...ui.autoUser } };
  return ui;
}

function withoutPassword<T extends { password?: string }>(item: T): Omit<T, 'password'> {
  const copy = { ...item };
  delete copy.password;
  return copy;
}

function startTask(task: M.StartTask | undefined): M.StartTask | undefined {
  if (!task) return task;
  return {
    ...task,
    userIdentity: identity(task.userIdentity),
    maxTaskRetryCount: task.maxTaskRetryCount ?? 0,
    waitForSuccess: task.waitForSuccess ?? true,
    ...(task.containerSettings
      ? { containerSettings: containerSettings(task.containerSettings) }
      : {}),
  };
}

function containerSettings(s: M.TaskContainerSettings): M.TaskContainerSettings {
  return s.registry ? { ...s, registry: withoutPassword(s.registry) } : s;
}

function userAccount(u: M.UserAccount): M.UserAccount {
  const out = withoutPassword(u) as M.UserAccount;
  out.elevationLevel = u.elevationLevel ?? 'nonadmin';
  if (u.linuxUserConfiguration) {
    const linux = { ...u.linuxUserConfiguration };
    delete linux.sshPrivateKey;
    out.linuxUserConfiguration = linux;
  }
  return out;
}

function mount(m: M.MountConfiguration): M.MountConfiguration {
  const out = { ...m };
  if (m.azureBlobFileSystemConfiguration) {
    const blob = { ...m.azureBlobFileSystemConfiguration };
    delete blob.accountKey;
    delete blob.sasKey;
    out.azureBlobFileSystemConfiguration = blob;
  }
  if (m.azureFileShareConfiguration) {
    const share = { ...m.azureFileShareConfiguration } as Partial<M.AzureFileShareConfiguration>;
    delete share.accountKey;
    out.azureFileShareConfiguration = share as M.AzureFileShareConfiguration;
  }
  if (m.cifsMountConfiguration) {
    const cifs = { ...m.cifsMountConfiguration } as Partial<M.CIFSMountConfiguration>;
    delete cifs.password;
    out.cifsMountConfiguration = cifs as M.CIFSMountConfiguration;
  }
  return out;
}

const FILL_TYPE: Record<string, string> = { spread: 'Spread', pack: 'Pack' };

function pool(p: M.CloudPool): M.CloudPool {
  const out: M.CloudPool = { ...p, vmSize: p.vmSize?.toLowerCase() };
  if (p.startTask) out.startTask = startTask(p.startTask);
  if (p.userAccounts) out.userAccounts = p.userAccounts.map(userAccount);
  if (p.mountConfiguration) out.mountConfiguration = p.mountConfiguration.map(mount);
  const vm = p.virtualMachineConfiguration;
  if (vm?.containerConfiguration?.containerRegistries) {
    out.virtualMachineConfiguration = {
      ...vm,
      containerConfiguration: {
        ...vm.containerConfiguration,
        containerRegistries: vm.containerConfiguration.containerRegistries.map(withoutPassword),
      },
    };
  }
  const fill = p.taskSchedulingPolicy?.nodeFillType;
  if (fill && FILL_TYPE[fill.toLowerCase()]) {
    out.taskSchedulingPolicy = {
      nodeFillType: FILL_TYPE[fill.toLowerCase()] as M.ComputeNodeFillType,
    };
  }
  return out;
}

function task(t: M.CloudTask): M.CloudTask {
  const out: M.CloudTask = { ...t, userIdentity: identity(t.userIdentity) };
  if (t.containerSettings) out.containerSettings = containerSettings(t.containerSettings);
  return out;
}

function node(n: M.ComputeNode): M.ComputeNode {
  return { ...n, vmSize: n.vmSize?.toLowerCase(), startTask: startTask(n.startTask) };
}

/** The model as the service would answer it; models of other types pass through. */
export function present(mapper: MapperName, model: object): object {
  switch (mapper) {
    case 'CloudPool':
      return pool(model);
    case 'CloudTask':
      return task(model);
    case 'ComputeNode':
      return node(model);
    default:
      return model;
  }
}
