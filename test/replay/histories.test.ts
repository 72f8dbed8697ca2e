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
import { activityEventsOf } from '../helpers/history';

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
  'v10-upload-settles',
  'v11-reused-downloaded',
  'v2-ask-pool-idle',
  'v2-continued-as-new',
  'v2-reused',
  'v2-succeeded',
  'v3-tasks-follow-upload',
  'v4-cancelled-in-watch',
  'v4-task-watch',
  'v5-cancelled-in-watch',
  'v5-pool-beside-select',
  'v6-cancelled-while-pool-created',
  'v6-pool-beside-select',
  'v7-containers-settle',
  'v8-inspect-settles',
  'v9-select-settles',
];

/** The patches of the task-watch fixtures from v6 on, each version one more than the one before. */
const V6_WATCH_PATCHES = [
  'manifest',
  'pool-beside-select',
  'creations-settle',
  'pool-fits-work',
  'pool-follows-queue',
  'tasks-follow-upload',
  'tasks-watched-in-activity',
];
const V7_WATCH_PATCHES = [...V6_WATCH_PATCHES, 'containers-settle'];
const V8_WATCH_PATCHES = [...V7_WATCH_PATCHES, 'inspect-settles'];
const V9_WATCH_PATCHES = [...V8_WATCH_PATCHES, 'select-settles'];

/** The patches each fixture of the current code went through: the new paths it guards. */
const NEW_PATH_PATCHES: Record<string, string[]> = {
  'v2-succeeded': ['manifest', 'incremental', 'pool-fits-work', 'pool-follows-queue'],
  'v2-reused': ['manifest', 'incremental'],
  'v2-ask-pool-idle': ['manifest', 'incremental', 'pool-idle-while-waiting'],
  'v2-continued-as-new': ['manifest', 'incremental', 'pool-fits-work', 'pool-follows-queue'],
  'v3-tasks-follow-upload': ['manifest', 'incremental', 'pool-fits-work', 'tasks-follow-upload'],
  'v4-task-watch': [
    'manifest',
    'incremental',
    'pool-fits-work',
    'pool-follows-queue',
    'tasks-follow-upload',
    'tasks-watched-in-activity',
  ],
  'v4-cancelled-in-watch': ['tasks-follow-upload', 'tasks-watched-in-activity'],
  'v5-pool-beside-select': V6_WATCH_PATCHES.filter((p) => p !== 'creations-settle'),
  'v5-cancelled-in-watch': [
    'pool-beside-select',
    'tasks-follow-upload',
    'tasks-watched-in-activity',
  ],
  'v6-pool-beside-select': V6_WATCH_PATCHES,
  'v6-cancelled-while-pool-created': ['pool-beside-select', 'creations-settle'],
  'v7-containers-settle': V7_WATCH_PATCHES,
  'v8-inspect-settles': V8_WATCH_PATCHES,
  'v9-select-settles': V9_WATCH_PATCHES,
  'v10-upload-settles': [...V9_WATCH_PATCHES, 'upload-settles'],
};

/** Patch ids of a history's markers (`patched()` records `{ id, deprecated }`). */
function patchesIn(history: temporal.api.history.v1.History): string[] {
  return history.events.flatMap((event) => {
    const data = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
  });
}

/** Activities scheduled in a history, by type (`@host` when on an input host's queue). */
function activitiesIn(history: temporal.api.history.v1.History): string[] {
  return history.events.flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled?.activityType?.name) return [];
    const onHost = scheduled.taskQueue?.name?.includes('@') ? '@host' : '';
    return [`${scheduled.activityType.name}${onHost}`];
  });
}

/** Whether `first` ended (completed, failed or cancelled) before `then` was scheduled. */
function endedBeforeScheduled(
  history: temporal.api.history.v1.History,
  first: string,
  then: string,
): boolean {
  let firstEnded = false;
  for (const { kind, type } of activityEventsOf(history.events)) {
    if (kind === 'scheduled' && type === then) return firstEnded;
    if (kind !== 'scheduled' && type === first) firstEnded = true;
  }
  return false;
}

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

  test('the v2 to v7 fixtures go through the new paths', () => {
    for (const [name, patches] of Object.entries(NEW_PATH_PATCHES)) {
      const fixture = fixtures.find((f) => f.name === name);
      assert.ok(fixture, `${name} missing`);
      const histories = fixture.runs.map(historyOf);
      const seen = new Set(histories.flatMap(patchesIn));
      for (const patch of patches) assert.ok(seen.has(patch), `${name}: no ${patch} marker`);
    }
    const patchesOf = (name: string) =>
      new Set(
        fixtures
          .find((f) => f.name === name)!
          .runs.map(historyOf)
          .flatMap(patchesIn),
      );
    const activities = (name: string) =>
      fixtures
        .find((f) => f.name === name)!
        .runs.map(historyOf)
        .flatMap(activitiesIn);
    // The folder read on the input host's queue; the outputs stamped.
    assert.ok(activities('v2-succeeded').includes('uploadInputs@host'));
    assert.ok(activities('v2-succeeded').includes('stampOutputs'));
    // Nothing to convert: nothing created.
    assert.ok(!activities('v2-reused').some((a) => /createPool|createJob|uploadInputs/.test(a)));
    // The v2 runs uploaded, then added the tasks; the v3 run added them beside the upload.
    assert.ok(!patchesOf('v2-succeeded').has('tasks-follow-upload'));
    assert.ok(activities('v3-tasks-follow-upload').includes('uploadInputs@host'));
    // The pool shrank in the task wait of the chain.
    assert.ok(activities('v2-continued-as-new').includes('resizePool'));
    // Before the task watch, the workflow polled; with it, one activity polls.
    assert.ok(activities('v3-tasks-follow-upload').includes('getTaskCounts'));
    assert.ok(!patchesOf('v3-tasks-follow-upload').has('tasks-watched-in-activity'));
    for (const name of ['v4-task-watch', 'v4-cancelled-in-watch']) {
      // Counted once more after a terminate, for the final counts; never polled before.
      const done = activities(name).indexOf('terminateJob');
      const polled = activities(name).slice(0, done < 0 ? undefined : done);
      assert.ok(polled.includes('watchTasks'), `${name}: no watchTasks`);
      assert.ok(!polled.includes('getTaskCounts'), `${name}: polled from the workflow`);
    }
    // The watch handed back for the pool to shrink, and the job was stopped on the cancel.
    assert.ok(activities('v4-task-watch').includes('resizePool'));
    assert.ok(activities('v4-cancelled-in-watch').includes('terminateJob'));
    assert.ok(activities('v5-pool-beside-select').includes('resizePool'));
    assert.ok(activities('v5-cancelled-in-watch').includes('terminateJob'));
    // v4 asked for the pool once the inputs were selected; v5, while they were.
    const poolAskedDuringSelection = (name: string) => {
      const order = activities(name);
      const selected = order.findIndex((a) => a.startsWith('selectInputsToConvert'));
      return selected >= 0 && order.indexOf('createPoolIfAbsent') < selected;
    };
    assert.ok(!poolAskedDuringSelection('v4-task-watch'));
    assert.ok(!patchesOf('v4-task-watch').has('pool-beside-select'));
    assert.ok(poolAskedDuringSelection('v5-pool-beside-select'));
    assert.ok(!patchesOf('v5-pool-beside-select').has('creations-settle'));
    assert.ok(poolAskedDuringSelection('v6-pool-beside-select'));
    // v6 did not wait for the containers' request at cleanup; v7 does.
    assert.ok(!patchesOf('v6-pool-beside-select').has('containers-settle'));
    assert.ok(activities('v7-containers-settle').includes('ensureContainers'));
    // v7 did not wait for the inspection at cleanup; v8 does.
    assert.ok(!patchesOf('v7-containers-settle').has('inspect-settles'));
    assert.ok(!patchesOf('v8-inspect-settles').has('select-settles'));
    assert.ok(!patchesOf('v9-select-settles').has('upload-settles'));
    // Cancelled while Batch held the pool request: the pool deleted after the request ended.
    const [cancelledEarly] = fixtures
      .find((f) => f.name === 'v6-cancelled-while-pool-created')!
      .runs.map(historyOf);
    assert.ok(endedBeforeScheduled(cancelledEarly, 'createPoolIfAbsent', 'deletePool'));
    assert.ok(!activitiesIn(cancelledEarly).includes('createJobIfAbsent'));
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
