// The whole local stack killed mid-run (demo, Temporal, Azurite, emulator: one SIGKILL to the
// process group), then `npm start` again: it must find and resume the same run, not start a
// second one, and finish with every resource created once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { PROJECT_ROOT } from '../../src/config';
import { probe, tutorialClip } from '../../src/demo/samples';
import { freePort } from '../../src/stack/ports';
import { recordOutcome, resetOutcomes } from '../helpers/fault-harness';

const FILE = 'npm-start-resume';
const CLIPS = 10;

interface Exit {
  code: number | null;
  output: string;
  /** Everything printed so far, also after this promise resolved. */
  live: () => string;
}

let group: number | undefined;
after(() => {
  if (group) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function demo(
  env: NodeJS.ProcessEnv,
  args: string[],
  detached: boolean,
  until?: RegExp,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached,
    });
    if (detached) group = child.pid;
    let output = '';
    const timer = setTimeout(() => reject(new Error(`demo timed out:\n${output}`)), 240_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until && until.test(output)) {
        clearTimeout(timer);
        resolve({ code: null, output, live: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, live: () => output });
    });
  });
}

test('the whole stack killed mid-run, then npm start again resumes the same run', async (t) => {
  resetOutcomes(FILE);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-data-'));
  const input = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-in-'));
  const output = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-out-'));
  // The tutorial's own 2-minute clip, ten times on five nodes: two waves of conversions, long
  // enough to be killed while converting.
  const clip = path.join(input, 'LowPriVMs-1.mp4');
  t.diagnostic(`input: ${await tutorialClip(clip)}, ${CLIPS} times`);
  for (let i = 2; i <= CLIPS; i++) fs.copyFileSync(clip, path.join(input, `LowPriVMs-${i}.mp4`));
  const env = {
    DURABLE_BATCH_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    AZURITE_BLOB_PORT: String(await freePort()),
    BATCH_EMULATOR_PORT: String(await freePort()),
  };
  const args = ['--input', input, '--output', output];

  const first = await demo(env, args, true, /\[running\]/);
  assert.equal(first.code, null, `the demo ended before it could be killed:\n${first.output}`);
  // A few seconds into the conversions: tasks are running, none is uploading its output.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.doesNotMatch(first.live(), /Result:/, 'the run finished before it could be killed');
  process.kill(-group!, 'SIGKILL'); // the demo, its worker and every service of its stack
  group = undefined;
  await new Promise((resolve) => setTimeout(resolve, 1500));

  const second = await demo(env, args, false);
  assert.equal(second.code, 0, second.output);
  assert.match(
    second.output,
    /Resuming the interrupted run transcode-demo \(nothing is created again\)/,
  );
  assert.doesNotMatch(second.output, /Started transcode-demo/);
  assert.match(second.output, /Result: succeeded — 10 of 10 file\(s\) converted/);
  const counts =
    /ever created (\d+) pool\(s\), (\d+) job\(s\), (\d+) task\(s\) in this data dir; (\d+) pool\(s\) and (\d+) job\(s\) left/.exec(
      second.output,
    );
  assert.ok(counts, `no emulator statistics in:\n${second.output}`);
  const [pools, jobs, tasks, leftPools, leftJobs] = counts.slice(1).map(Number);
  const mp3s = fs.readdirSync(output).filter((f) => f.endsWith('.mp3'));
  recordOutcome(FILE, {
    scenario: 'whole local stack SIGKILLed while tasks run, then `npm start` again',
    runsCompleted: 1,
    pools,
    jobs,
    tasks,
    expectedTasks: CLIPS,
    outputs: mp3s.length,
    duplicates: Math.max(0, pools - 1) + Math.max(0, jobs - 1) + Math.max(0, tasks - CLIPS),
    leakedPools: leftPools,
    leakedJobs: leftJobs,
    note: 'resumed transcode-demo; no second run',
  });
  assert.deepEqual([pools, jobs, tasks, leftPools, leftJobs], [1, 1, CLIPS, 0, 0]);
  assert.equal(mp3s.length, CLIPS);
  for (const mp3 of mp3s) {
    const info = await probe(path.join(output, mp3));
    assert.ok(info.audio && Math.abs(info.seconds - 120) < 1, `${mp3}: ${JSON.stringify(info)}`);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});
