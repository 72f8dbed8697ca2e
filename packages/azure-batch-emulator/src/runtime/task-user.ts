import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/** An account of this machine. */
export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The OS user a task process runs as. */
export interface RunAs extends OsUser {
  /**
   * True when it is not the emulator's own user: the process gets this uid/gid, and whatever the
   * emulator does in the task's directories on its behalf (resource file downloads, reading
   * output files) is done with this user's permissions.
   */
  switched: boolean;
}

/** Who tasks run as on this emulator. */
export interface TaskUsers {
  /** The emulator's own user: admin (elevated) tasks run as it, root when it is root. */
  readonly emulator: OsUser;
  /** Non-admin tasks: an unprivileged account when the emulator is root, else the emulator's user. */
  readonly nonAdmin: OsUser;
  /** True when non-admin tasks run as another user than the emulator (it is root). */
  readonly switching: boolean;
  /** One line saying which case this is, logged at start. */
  readonly note: string;
}

/** The account Batch's pool auto-user has on Linux nodes, created when missing. */
export const TASK_USER_NAME = '_azbatch';

/** The user a task with this elevation runs as. */
export function runAs(users: TaskUsers, admin: boolean): RunAs {
  const user = admin ? users.emulator : users.nonAdmin;
  return { ...user, switched: user.uid !== users.emulator.uid };
}

function lookupUser(name: string): OsUser | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? '')) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * `useradd --system`, once: an unprivileged account with its own group, no home, no login shell.
 * Another emulator may be creating it at the same moment (useradd then fails on the lock or
 * because it exists): look again a few times before giving up.
 */
function createSystemUser(name: string): OsUser | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      execFileSync(
        'useradd',
        [
          '--system',
          '--no-create-home',
          '--home-dir',
          '/nonexistent',
          '--shell',
          '/usr/sbin/nologin',
          '--user-group',
          name,
        ],
        { stdio: 'ignore', timeout: 10_000 },
      );
    } catch {
      // exists already, locked by a concurrent useradd, or no useradd here
    }
    const user = lookupUser(name);
    if (user) return user;
    sleepSync(100 * (attempt + 1));
  }
  return undefined;
}

function emulatorUser(): OsUser {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  let name = process.env.USER ?? String(uid);
  try {
    name = userInfo().username;
  } catch {
    // a uid without a passwd entry
  }
  return { name, uid, gid };
}

let resolved: TaskUsers | undefined;

/**
 * Decides once per process who tasks run as. As root: non-admin tasks as `_azbatch` (created with
 * useradd if missing), else `nobody`. Not root: the emulator cannot switch users, so every task
 * runs as the emulator's user, whatever its userIdentity.
 */
export function resolveTaskUsers(): TaskUsers {
  if (resolved) return resolved;
  const me = emulatorUser();
  const alone = (note: string): TaskUsers => ({
    emulator: me,
    nonAdmin: me,
    switching: false,
    note,
  });
  if (me.uid !== 0) {
    resolved = alone(
      `running as ${me.name} (uid ${me.uid}), not root: it cannot switch users, so every task ` +
        'runs as this user whatever its userIdentity; the data directory (state, journal) is ' +
        'kept 0700/0600 against other users, not against tasks',
    );
    return resolved;
  }
  const user =
    lookupUser(TASK_USER_NAME) ?? createSystemUser(TASK_USER_NAME) ?? lookupUser('nobody');
  if (!user || user.uid === 0) {
    resolved = alone(
      `no unprivileged user (${TASK_USER_NAME} could not be created, no nobody): every task ` +
        'runs as root',
    );
    return resolved;
  }
  resolved = {
    emulator: me,
    nonAdmin: user,
    switching: true,
    note:
      `non-admin tasks run as ${user.name} (uid ${user.uid}, gid ${user.gid}), admin tasks ` +
      `as ${me.name}; the data directory is 0711, its state files 0600`,
  };
  return resolved;
}
