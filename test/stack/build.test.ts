// The build the bootstrap keeps in dist/: the worker, the client, `npm start` and the bench run it
// with plain node, so it must follow every change of a source (added, edited, deleted).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/config';
import { ensureProjectBuild } from '../../src/stack/bootstrap.cjs';

const runNode = (...args: string[]) =>
  spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, encoding: 'utf8' });

test('the client runs from dist/ with plain node, no TypeScript loader', () => {
  ensureProjectBuild();
  const help = runNode(path.join(PROJECT_ROOT, 'dist/src/cli/main.js'), '--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: client/);
  assert.ok(
    !fs.readFileSync(path.join(PROJECT_ROOT, 'dist/src/cli/main.js'), 'utf8').includes('tsx'),
  );
});

test('a source added, edited, then deleted is compiled, recompiled, then its output removed', () => {
  // A file of its own (a name nobody imports), removed whatever happens.
  const name = `build-probe-${process.pid}`;
  const source = path.join(PROJECT_ROOT, 'src', `${name}.ts`);
  const output = path.join(PROJECT_ROOT, 'dist', 'src', `${name}.js`);
  try {
    fs.writeFileSync(source, "export const answer: number = 1;\nconsole.log('probe', answer);\n");
    assert.match(ensureProjectBuild(), /built \(\d+ file\(s\) compiled/);
    assert.equal(runNode(output).stdout, 'probe 1\n');

    fs.writeFileSync(source, "export const answer: number = 2;\nconsole.log('probe', answer);\n");
    // A later mtime than the output's, whatever the filesystem's timestamp resolution.
    const later = new Date(fs.statSync(output).mtimeMs + 2000);
    fs.utimesSync(source, later, later);
    ensureProjectBuild();
    assert.equal(runNode(output).stdout, 'probe 2\n');

    fs.rmSync(source);
    assert.match(ensureProjectBuild(), /[1-9]\d* removed/);
    assert.equal(fs.existsSync(output), false);
  } finally {
    fs.rmSync(source, { force: true });
    fs.rmSync(output, { force: true });
  }
});

test('the .cjs files are linked into dist/, so their own paths still resolve from src/', () => {
  ensureProjectBuild();
  const link = path.join(PROJECT_ROOT, 'dist/src/stack/bootstrap.cjs');
  assert.equal(
    fs.realpathSync(link),
    fs.realpathSync(path.join(PROJECT_ROOT, 'src/stack/bootstrap.cjs')),
  );
  // PROJECT_ROOT from the build is the project's root, not dist/.
  const root = runNode('-p', "require('./dist/src/config').PROJECT_ROOT");
  assert.equal(root.stdout.trim(), fs.realpathSync(PROJECT_ROOT));
});
