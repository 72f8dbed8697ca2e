// The package as a user gets it: `npm pack` (which builds dist/ in prepack), the tarball installed
// into an empty folder from the registry, `npx azure-batch-emulator` started there and asked, with
// SharedKey, for its pools.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DEV_BATCH_ACCOUNT_KEY, DEV_BATCH_ACCOUNT_NAME } from '../src/config';
import { EmulatorControl } from '../src/control';
import { rawRequest, removeDir, tempDir, waitFor } from './helpers';

const run = promisify(execFile);
const PACKAGE_DIR = join(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** This process's environment minus what an enclosing `npm run` says about its own package. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^npm_(lifecycle_|package_|config_(workspaces?|include_workspace_root|prefix|global|location)$)/i.test(
          key,
        ),
    ),
  );
}

describe('the packed package', { timeout: 600_000 }, () => {
  const dir = tempDir('pack');
  after(() => removeDir(dir));

  it('installs from its tarball and serves `npx azure-batch-emulator --port 0` with SharedKey', async (t) => {
    const env = cleanEnv();
    const packDir = join(dir, 'pack');
    mkdirSync(packDir);
    let started = Date.now();
    await run(NPM, ['pack', '--pack-destination', packDir], {
      cwd: PACKAGE_DIR,
      env,
      timeout: 300_000,
    });
    const tarballs = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, `one tarball in ${packDir}: ${tarballs.join(', ')}`);
    const tgz = join(packDir, tarballs[0]);
    const { stdout: listing } = await run('tar', ['-tzf', tgz]);
    const files = listing.split('\n').filter(Boolean);
    for (const file of ['package.json', 'README.md', 'dist/main.js', 'dist/index.js']) {
      assert.ok(files.includes(`package/${file}`), `${file} is in the tarball`);
    }
    for (const file of ['dist/index.d.ts', 'dist/control.js', 'dist/control.d.ts']) {
      assert.ok(files.includes(`package/${file}`), `${file} is in the tarball`);
    }
    const strays = files.filter(
      (f) => !/^package\/(dist\/.*\.(js|d\.ts)|README\.md|package\.json)$/.test(f),
    );
    assert.deepEqual(strays, [], 'only dist, README and package.json are packed');
    // An incremental build leaves the output of a deleted source behind: none may be packed.
    const orphans = files
      .map((f) => /^package\/dist\/(.*)\.(?:js|d\.ts)$/.exec(f)?.[1])
      .filter((stem): stem is string => stem !== undefined)
      .filter((stem) => !existsSync(join(PACKAGE_DIR, 'src', `${stem}.ts`)));
    assert.deepEqual(orphans, [], 'no output without its source (`npm run clean` removes them)');
    t.diagnostic(`packed ${tarballs[0]} (${files.length} files) in ${Date.now() - started} ms`);

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    started = Date.now();
    await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz], {
      cwd: app,
      env,
      timeout: 300_000,
    });
    t.diagnostic(`installed it into an empty folder in ${Date.now() - started} ms`);

    // The library entry points resolve from the installed package.
    const { stdout: library } = await run(
      process.execPath,
      [
        '-e',
        `const e = require('azure-batch-emulator'); const c = require('azure-batch-emulator/control');
         console.log(JSON.stringify([typeof e.startBatchEmulator, typeof c.EmulatorControl]));`,
      ],
      { cwd: app, env },
    );
    assert.deepEqual(JSON.parse(library), ['function', 'function']);

    const child = spawn(
      NPX,
      ['azure-batch-emulator', '--port', '0', '--data-dir', join(dir, 'data')],
      // Its own process group: npx runs the program as a child, and both get the signal.
      { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch {
        // Already gone.
      }
    };
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await Promise.race([
        once(lines, 'line').then(([line]) => line as string),
        once(child, 'exit').then(([code]) => {
          throw new Error(`npx azure-batch-emulator exited ${String(code)}: ${stderr}`);
        }),
      ]);
      const m = /^Azure Batch emulator at (http:\/\/127\.0\.0\.1:\d+) account=(\S+) key=(\S+)/.exec(
        first,
      );
      assert.ok(m, `the first line names the URL, account and key: ${first}`);
      const [, url, accountName, accountKey] = m;
      assert.equal(accountName, DEV_BATCH_ACCOUNT_NAME);
      assert.equal(accountKey, DEV_BATCH_ACCOUNT_KEY);

      const pools = await rawRequest({ url, accountName, accountKey }, 'GET', '/pools');
      assert.equal(pools.status, 200, pools.text);
      assert.deepEqual(pools.json().value, []);
      const forged = await rawRequest({ url, accountName, accountKey }, 'GET', '/pools', {
        key: Buffer.from('not the key').toString('base64'),
      });
      assert.equal(forged.status, 403, 'a request signed with another key is refused');

      const health = await new EmulatorControl(url).health();
      const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
        version: string;
      };
      assert.equal(health.version, manifest.version, 'health reports the package version');

      const exited = once(child, 'exit');
      signal('SIGTERM');
      const [code, sig] = (await exited) as [number | null, string | null];
      // The emulator exits 0; npm, signalled too, may report the signal instead.
      assert.ok(
        code === 0 || code === 143 || sig === 'SIGTERM',
        `stopped: code ${code}, signal ${sig}: ${stderr}`,
      );
      // npm exits at once; the emulator (its child, same group) after writing its state.
      await waitFor(
        'every process of the group to exit',
        () => {
          try {
            process.kill(-child.pid!, 0);
            return undefined;
          } catch {
            return true;
          }
        },
        15_000,
        100,
      );
      await assert.rejects(fetch(`${url}/_emulator/health`), 'nothing answers once stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) signal('SIGKILL');
    }
  });
});
