// The build the bootstrap keeps in dist/: the worker, the client, `npm start` and the bench run it
// with plain node, so it must follow every change of a source (added, edited, deleted).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
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

test("the client's --help loads neither Temporal's client nor its protobuf definitions", () => {
  ensureProjectBuild();
  // Run as `node main.js --help` would, then name the loaded modules when the process exits.
  const probe = `
    process.on('exit', () => console.error('LOADED ' + JSON.stringify(Object.keys(require.cache))));
    process.argv = [process.argv[0], ${JSON.stringify(path.join(PROJECT_ROOT, 'dist/src/cli/main.js'))}, '--help'];
    require('node:module').runMain();`;
  const help = runNode('-e', probe);
  assert.equal(help.status, 0, help.stderr);
  const loaded = JSON.parse(/^LOADED (.*)$/m.exec(help.stderr)?.[1] ?? 'null') as string[];
  assert.ok(loaded.some((file) => file.endsWith(path.join('dist', 'src', 'cli', 'main.js'))));
  const heavy = loaded.filter((file) => /@temporalio[/\\](client|proto)[/\\]/.test(file));
  assert.deepEqual(heavy, [], 'loaded only by the commands that talk to Temporal');
});

/** A project of its own (tsconfig.json, src/, the project's node_modules), so that the builds
 * other tests start meanwhile never see the probe's files. */
function scratchProject(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-probe-'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'tsconfig.json'), path.join(root, 'tsconfig.json'));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  fs.mkdirSync(path.join(root, 'src'));
  return root;
}

test('a source added, edited, then deleted is compiled, recompiled, then its output removed', () => {
  const root = scratchProject();
  const source = path.join(root, 'src', 'probe.ts');
  const output = path.join(root, 'dist', 'src', 'probe.js');
  try {
    fs.writeFileSync(source, "export const answer: number = 1;\nconsole.log('probe', answer);\n");
    assert.equal(ensureProjectBuild(root), 'built (1 file(s) compiled, 0 removed)');
    assert.equal(runNode(output).stdout, 'probe 1\n');
    assert.equal(ensureProjectBuild(root), 'up to date');

    fs.writeFileSync(source, "export const answer: number = 2;\nconsole.log('probe', answer);\n");
    // A later mtime than the output's, whatever the filesystem's timestamp resolution.
    const later = new Date(fs.statSync(output).mtimeMs + 2000);
    fs.utimesSync(source, later, later);
    assert.equal(ensureProjectBuild(root), 'built (1 file(s) compiled, 0 removed)');
    assert.equal(runNode(output).stdout, 'probe 2\n');

    fs.rmSync(source);
    assert.equal(ensureProjectBuild(root), 'built (0 file(s) compiled, 1 removed)');
    assert.equal(fs.existsSync(output), false);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a source deleted while the build reads the sources is left out, not an error', () => {
  const root = scratchProject();
  try {
    const kept = path.join(root, 'src', 'kept.ts');
    const fleeting = path.join(root, 'src', 'fleeting.ts');
    fs.writeFileSync(kept, 'export const kept = 1;\n');
    fs.writeFileSync(fleeting, 'export const fleeting = 1;\n');
    // The build lists the sources, then reads them: delete one between the two (the race the
    // builds of concurrent commands meet when someone saves or deletes a file).
    const readFileSync = fs.readFileSync;
    const restore = () => (fs.readFileSync = readFileSync);
    fs.readFileSync = ((file: fs.PathOrFileDescriptor, options?: unknown) => {
      if (file === fleeting) fs.rmSync(fleeting, { force: true });
      return (readFileSync as (f: fs.PathOrFileDescriptor, o?: unknown) => string | Buffer)(
        file,
        options,
      );
    }) as typeof fs.readFileSync;
    let result: string;
    try {
      result = ensureProjectBuild(root);
    } finally {
      restore();
    }
    assert.equal(result, 'built (1 file(s) compiled, 0 removed)');
    assert.equal(fs.existsSync(path.join(root, 'dist', 'src', 'kept.js')), true);
    assert.equal(fs.existsSync(path.join(root, 'dist', 'src', 'fleeting.js')), false);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
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
