// Safe upgrades: the recorded histories of real runs (test/fixtures/histories, written by
// `npm run record-histories`) replayed against the current workflow code. A change that would
// break a run in flight — another activity, timer or branch where the old code had none — fails
// here with the nondeterminism error; docs/upgrades.md says how to make such a change safely.
// Needs no stack: the replay runs in the worker's sandbox, on the histories alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { AZURITE_ACCOUNT_KEY, EMULATOR_ACCOUNT_KEY } from '../../src/config';
import { installLogging } from '../../src/logging';
import { dataConverter } from '../../src/payload-codec';

interface HistoryFixture {
  name: string;
  workflowId: string;
  runs: Array<{ runId: string; history: Record<string, unknown> }>;
}

installLogging({ level: 'WARN' });

const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs
  .readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort();
const texts = files.map((file) => fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8'));
const fixtures = texts.map((text) => JSON.parse(text) as HistoryFixture);

/** Every path through the workflow the recorder covers; a missing fixture is a failure. */
const EXPECTED = [
  'ask-decided-by-signal',
  'ask-decided-by-update',
  'cancelled-by-signal',
  'continued-as-new',
  'failed-missing-folder',
  'succeeded',
];

/** Written by the recorder with protobufjs `toObject`; `fromObject` makes it a History again. */
function historyOf(run: HistoryFixture['runs'][number]): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(run.history);
}

describe('recorded histories replay against the current workflow code', () => {
  let workflowBundle: WorkflowBundle;

  before(async () => {
    // Once for every fixture (webpack takes seconds), from the sources as they are now.
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
  });

  test('every scenario has a fixture, and none holds a secret', () => {
    assert.deepEqual(fixtures.map((f) => f.name).sort(), EXPECTED);
    texts.forEach((text, i) => {
      for (const secret of [AZURITE_ACCOUNT_KEY, EMULATOR_ACCOUNT_KEY, 'sig=', 'AccountKey=']) {
        assert.ok(!text.includes(secret), `${files[i]} holds a secret`);
      }
    });
  });

  test('the continue-as-new fixture resumes in the pool wait and in the task wait', () => {
    const chain = fixtures.find((f) => f.name === 'continued-as-new');
    assert.ok(chain && chain.runs.length >= 3, 'the continue-as-new fixture has under 3 runs');
    const resumedIn = chain.runs.flatMap((run) => {
      const started = historyOf(run).events[0]?.workflowExecutionStartedEventAttributes;
      const carried = started?.input?.payloads?.[1]?.data;
      if (!carried) return [];
      return [(JSON.parse(Buffer.from(carried).toString()) as { resumeAt: string }).resumeAt];
    });
    assert.ok(resumedIn.includes('pool-wait'), `runs resumed in ${resumedIn.join(', ')}`);
    assert.ok(resumedIn.includes('task-wait'), `runs resumed in ${resumedIn.join(', ')}`);
  });

  for (const fixture of fixtures) {
    test(`${fixture.name} (${fixture.runs.length} run(s))`, async () => {
      const results = Worker.runReplayHistories(
        { workflowBundle, dataConverter },
        fixture.runs.map((run) => ({ workflowId: fixture.workflowId, history: historyOf(run) })),
      );
      const failures: string[] = [];
      let replayed = 0;
      for await (const result of results) {
        replayed++;
        if (result.error) failures.push(`run ${result.runId}: ${String(result.error)}`);
      }
      assert.equal(replayed, fixture.runs.length);
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  }
});
