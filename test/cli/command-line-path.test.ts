// A relative path on the command line means the folder the person typed the command in, which
// `npm run` (running in the project's root) names in INIT_CWD.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { commandLinePath } from '../../src/cli/options';

test('under `npm run client` or `npm start`: from the folder the command was typed in', () => {
  for (const script of ['client', 'start']) {
    const env = { INIT_CWD: '/home/me/videos', npm_lifecycle_event: script };
    assert.equal(commandLinePath('./clips', env), '/home/me/videos/clips');
    assert.equal(commandLinePath('../out', env), '/home/me/out');
  }
});

test('an absolute path stays as given', () => {
  const env = { INIT_CWD: '/home/me/videos', npm_lifecycle_event: 'client' };
  assert.equal(commandLinePath('/data/clips', env), '/data/clips');
});

test("started some other way (node itself, another script's child): from the process's folder", () => {
  assert.equal(commandLinePath('clips', {}), path.join(process.cwd(), 'clips'));
  const inherited = { INIT_CWD: '/somewhere/else', npm_lifecycle_event: 'test' };
  assert.equal(commandLinePath('clips', inherited), path.join(process.cwd(), 'clips'));
});
