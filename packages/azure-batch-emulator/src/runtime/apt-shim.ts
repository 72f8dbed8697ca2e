import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The node image's package manager. Installing for real is neither possible nor wanted, so
 * `apt-get`/`apt` succeed for packages this machine already has and fail exactly as apt does for
 * the rest, or with apt's lock error when the task is not elevated (real apt needs root).
 */
function script(admin: boolean, name: string): string {
  return `#!/bin/bash
# ${name} on an Azure Batch emulator node (${admin ? 'elevated' : 'non-elevated'} user).
${name === 'apt' ? 'echo "WARNING: apt does not have a stable CLI interface. Use with caution in scripts." >&2\necho >&2' : ''}
admin=${admin ? 1 : 0}
cmd=""
pkgs=()
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    -o|-c|-t|--option|--config-file|--target-release) skip=1 ;;
    -*) ;;
    *) if [ -z "$cmd" ]; then cmd="$a"; else pkgs+=("$a"); fi ;;
  esac
done

lock_error() {
  echo "E: Could not open lock file $1 - open (13: Permission denied)" >&2
  echo "E: Unable to acquire the dpkg frontend lock ($1), are you root?" >&2
  exit 100
}

installed() {
  local p="\${1%%=*}"
  p="\${p%%:*}"
  if command -v dpkg-query >/dev/null 2>&1 &&
     dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    return 0
  fi
  command -v "$p" >/dev/null 2>&1
}

case "$cmd" in
  "")
    echo "E: No operation specified (try install, update)" >&2
    exit 100 ;;
  update)
    [ "$admin" = 1 ] || lock_error /var/lib/apt/lists/lock
    echo "Reading package lists..."
    exit 0 ;;
  install|reinstall)
    [ "$admin" = 1 ] || lock_error /var/lib/dpkg/lock-frontend
    echo "Reading package lists..."
    echo "Building dependency tree..."
    echo "Reading state information..."
    status=0
    for p in "\${pkgs[@]}"; do
      if installed "$p"; then
        echo "\${p%%=*} is already the newest version."
      else
        echo "E: Unable to locate package $p" >&2
        status=100
      fi
    done
    [ "$status" = 0 ] && echo "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
    exit $status ;;
  upgrade|dist-upgrade|full-upgrade|remove|purge|autoremove|clean|autoclean|check)
    [ "$admin" = 1 ] || lock_error /var/lib/dpkg/lock-frontend
    echo "Reading package lists..."
    echo "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
    exit 0 ;;
  *)
    echo "E: Invalid operation $cmd" >&2
    exit 100 ;;
esac
`;
}

export interface NodeImage {
  /** PATH for an elevated (admin) task and for an ordinary one. */
  adminPath: string;
  userPath: string;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Writes the shims under imageDir; the shim directory comes first on the task's PATH. */
export function installNodeImage(imageDir: string): NodeImage {
  const dirs = { admin: join(imageDir, 'bin-admin'), user: join(imageDir, 'bin-user') };
  mkdirSync(imageDir, { recursive: true });
  chmodSync(imageDir, 0o755);
  for (const [kind, dir] of Object.entries(dirs)) {
    mkdirSync(dir, { recursive: true });
    // Every task runs these, whichever user it runs as.
    chmodSync(dir, 0o755);
    for (const name of ['apt-get', 'apt']) {
      const file = join(dir, name);
      writeFileSync(file, script(kind === 'admin', name));
      chmodSync(file, 0o755);
    }
  }
  return {
    adminPath: `${dirs.admin}:${SYSTEM_PATH}`,
    userPath: `${dirs.user}:${SYSTEM_PATH}`,
  };
}
