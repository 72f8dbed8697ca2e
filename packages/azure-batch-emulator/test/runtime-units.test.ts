import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseFilter } from '../src/odata/filter';
import { FILTERABLE } from '../src/odata/filterable';
import { installNodeImage } from '../src/runtime/apt-shim';
import { splitCommandLine } from '../src/runtime/command-line';
import { expandPattern } from '../src/runtime/glob';
import { durationMs } from '../src/util/duration';
import { removeDir, tempDir } from './helpers';

describe('command lines are split like Batch on Linux (no shell)', () => {
  it('keeps a double-quoted script as one argument for bash -c', () => {
    assert.deepEqual(
      splitCommandLine('/bin/bash -c "ffmpeg -i LowPriVMs-1.mp4 LowPriVMs-1.mp3 "'),
      ['/bin/bash', '-c', 'ffmpeg -i LowPriVMs-1.mp4 LowPriVMs-1.mp3 '],
    );
  });
  it('follows POSIX quoting and expands nothing', () => {
    assert.deepEqual(splitCommandLine(`echo 'a b' "c \\"d\\"" e\\ f $HOME "$x" g&&h`), [
      'echo',
      'a b',
      'c "d"',
      'e f',
      '$HOME',
      '$x',
      'g&&h',
    ]);
    assert.deepEqual(splitCommandLine('  a   b  '), ['a', 'b']);
    assert.deepEqual(splitCommandLine('a "" b'), ['a', '', 'b']);
    assert.throws(() => splitCommandLine('echo "open'), /unterminated/);
  });
});

describe('output file patterns', () => {
  const dir = tempDir('glob');
  const task = join(dir, 'task');
  const wd = join(task, 'wd');
  mkdirSync(join(wd, 'sub', 'deep'), { recursive: true });
  for (const f of ['a.mp3', 'b.mp3', 'c.txt', 'sub/d.mp3', 'sub/deep/e.mp3', 'x1.log', 'x22.log']) {
    writeFileSync(join(wd, f), f);
  }
  writeFileSync(join(task, 'stdout.txt'), 'out');
  after(() => removeDir(dir));
  const names = async (p: string) => (await expandPattern(p, wd, dir)).map((m) => m.relative);

  it('matches *, **, ? and [...] relative to the working directory', async () => {
    assert.deepEqual(await names('*.mp3'), ['a.mp3', 'b.mp3']);
    assert.deepEqual(await names('**/*.mp3'), ['a.mp3', 'b.mp3', 'sub/d.mp3', 'sub/deep/e.mp3']);
    assert.deepEqual(await names('sub/**/*.mp3'), ['d.mp3', 'deep/e.mp3']);
    assert.deepEqual(await names('x?.log'), ['x1.log']);
    assert.deepEqual(await names('[ab].mp3'), ['a.mp3', 'b.mp3']);
    assert.deepEqual(await names('[!a].mp3'), ['b.mp3']);
  });
  it('reaches the task directory with ../ and ignores what is outside the node', async () => {
    assert.deepEqual(await names('../stdout.txt'), ['stdout.txt']);
    assert.deepEqual(await names('../std*.txt'), ['stdout.txt']);
    assert.deepEqual(await names('../../../../etc/passwd'), []);
    assert.deepEqual(await names('missing.mp3'), []);
  });
});

describe('ISO 8601 durations and OData filters', () => {
  it('parses durations', () => {
    assert.equal(durationMs('PT1S'), 1000);
    assert.equal(durationMs('PT1H30M'), 5_400_000);
    assert.equal(durationMs('P1DT0.5S'), 86_400_500);
    assert.equal(durationMs('01:00:00'), undefined);
    assert.ok(durationMs('P10675199DT2H48M5.4775807S')! > 2 ** 31);
  });
  it('evaluates filters case-insensitively on strings', () => {
    const f = parseFilter(
      "state eq 'Completed' and (executionInfo/exitCode ne 0 or startswith(id, 'T'))",
    );
    assert.equal(f({ id: 'task1', state: 'completed', executionInfo: { exitCode: 0 } }), true);
    assert.equal(f({ id: 'x', state: 'completed', executionInfo: { exitCode: 0 } }), false);
    assert.equal(f({ id: 'x', state: 'completed', executionInfo: { exitCode: 2 } }), true);
    assert.equal(f({ id: 'task1', state: 'active' }), false);
    const d = parseFilter(
      "creationTime gt datetime'2020-01-01T00:00:00Z' and not (state eq 'active')",
    );
    assert.equal(d({ creationTime: new Date('2021-01-01'), state: 'running' }), true);
    assert.throws(() => parseFilter('state eq'), /end of expression/);
  });
  it('refuses, as Batch does, properties and operators a list cannot filter on', () => {
    const tasks = FILTERABLE.tasks;
    // What the product asks for: the results step's two listings.
    for (const text of [
      "state ne 'completed' or executionInfo/result eq 'failure'",
      "state eq 'completed' and executionInfo/result eq 'success'",
      "startswith(id, 't0')",
    ]) {
      assert.doesNotThrow(() => parseFilter(text, tasks), text);
    }
    assert.throws(
      () => parseFilter("commandLine eq 'x'", tasks),
      /cannot be filtered on 'commandLine'/,
    );
    assert.throws(() => parseFilter("state gt 'active'", tasks), /'gt' is not allowed on 'state'/);
    assert.throws(
      () => parseFilter("endswith(id, '9')", tasks),
      /'endswith' is not allowed on 'id'/,
    );
    assert.throws(
      () => parseFilter("startswith(name, 'std') or name eq 'x'", FILTERABLE.files),
      /'eq' is not allowed on 'name'/,
    );
    // Property names compare case-insensitively, as elsewhere in the filter.
    assert.doesNotThrow(() => parseFilter("ExecutionInfo/Result eq 'success'", tasks));
  });
});

describe('the node image apt shim', () => {
  const dir = tempDir('image');
  const image = installNodeImage(dir);
  after(() => removeDir(dir));
  const run = (path: string, script: string) =>
    spawnSync('/bin/bash', ['-c', script], { env: { PATH: path }, encoding: 'utf8' });

  it('succeeds for packages this machine has, quietly for update', () => {
    const r = run(
      image.adminPath,
      'apt-get update && apt-get install -y --no-install-recommends ffmpeg bash',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ffmpeg is already the newest version/);
  });
  it('fails like apt for a package it does not have', () => {
    const r = run(image.adminPath, 'apt-get install -y no-such-package-xyz');
    assert.equal(r.status, 100);
    assert.match(r.stderr, /^E: Unable to locate package no-such-package-xyz$/m);
  });
  it("fails with apt's lock error when not elevated", () => {
    const r = run(image.userPath, 'apt-get install -y ffmpeg');
    assert.equal(r.status, 100);
    assert.match(
      r.stderr,
      /E: Could not open lock file \/var\/lib\/dpkg\/lock-frontend - open \(13: Permission denied\)/,
    );
    const u = run(image.userPath, 'apt update');
    assert.equal(u.status, 100);
    assert.match(u.stderr, /lists\/lock/);
  });
});
