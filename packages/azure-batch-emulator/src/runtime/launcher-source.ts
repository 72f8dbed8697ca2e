// The launcher's program, run with `node -e` (plain JavaScript: it must not depend on how the
// emulator itself runs, compiled or under tsx). It reads one JSON request a line on stdin
// ({id, argv, cwd, env, out, err, uid?, gid?}), opens the task's stdout and stderr files, starts
// the process in its own group, and answers JSON lines on stdout: started (pid), exit (code,
// signal), error (the spawn failed: code, message) or fail (the files could not be opened).
// Stdin's end (the emulator is gone) ends it.
export const LAUNCHER_SOURCE = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const killGroup = (pid) => {
  try { process.kill(-pid, 'SIGKILL'); } catch {}
};
const closeAll = (fds) => {
  for (const fd of fds) if (fd !== undefined) fs.closeSync(fd);
};
function run(r) {
  const fds = [];
  try {
    fds.push(fs.openSync(r.out, 'w'), fs.openSync(r.err, 'w'));
    if (r.uid !== undefined) for (const fd of fds) fs.fchownSync(fd, r.uid, r.gid);
  } catch (e) {
    closeAll(fds);
    return send({ id: r.id, t: 'fail', message: String((e && e.message) || e) });
  }
  let child;
  try {
    child = spawn(r.argv[0], r.argv.slice(1), {
      cwd: r.cwd,
      env: r.env,
      stdio: ['ignore', fds[0], fds[1]],
      detached: true,
      ...(r.uid !== undefined ? { uid: r.uid, gid: r.gid } : {}),
    });
  } catch (e) {
    closeAll(fds);
    return send({ id: r.id, t: 'error', code: e.code || 'EUNKNOWN', message: String(e.message) });
  }
  closeAll(fds);
  let done = false;
  child.on('error', (e) => {
    if (done) return;
    done = true;
    send({ id: r.id, t: 'error', code: e.code || 'EUNKNOWN', message: e.message });
  });
  child.on('exit', (code, signal) => {
    if (done) return;
    done = true;
    // A group member may outlive the leader; it must not keep a slot's work running.
    killGroup(child.pid);
    send({ id: r.id, t: 'exit', code, signal });
  });
  if (child.pid !== undefined) send({ id: r.id, t: 'started', pid: child.pid });
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (line) run(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
`;
