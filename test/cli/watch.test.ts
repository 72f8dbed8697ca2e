// The watcher without a server: renderers for a TTY, plain lines and JSON, the upload read from
// a heartbeat with a real data converter, and the loop over a scripted run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { Snapshot } from '../../src/cli/format';
import { readPending, withWatchedCounts } from '../../src/cli/pending';
import {
  JsonRenderer,
  PlainRenderer,
  TtyRenderer,
  watchRun,
  type Output,
} from '../../src/cli/watch';
import {
  inspectionOf,
  type Progress,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../../src/transcode';
import { progressOf } from './progress-fixture';

class Captured implements Output {
  chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  get lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }
}

const at = (phase: Progress['phase'], completed = 0, etaMs?: number): Snapshot => ({
  progress: progressOf(phase, { total: 4, counts: { completed, running: 4 - completed } }),
  etaMs,
});

describe('renderers', () => {
  test('plain: one line per change of the facts, none for the clock, no colour codes', () => {
    const out = new Captured();
    const plain = new PlainRenderer(out);
    plain.show(at('running', 1, 9000));
    plain.show(at('running', 1, 8000)); // only the estimate moved
    plain.show(at('running', 2, 4000));
    plain.note('a note');
    assert.deepEqual(out.lines, [
      '[running] 5 files, 5.0 MiB · tasks 1/4 done (3 running, 0 waiting) · about 9 s left',
      '[running] 5 files, 5.0 MiB · tasks 2/4 done (2 running, 0 waiting) · about 4 s left',
      'a note',
    ]);
    assert.ok(!out.text.includes('\u001b'));
  });

  test('TTY: rewrites one line, keeps the last line of each finished phase', () => {
    const out = new Captured(true, 100);
    const tty = new TtyRenderer(out, false);
    tty.show(at('adding-tasks'));
    tty.show(at('running', 1));
    tty.show(at('running', 2));
    tty.end();
    assert.ok(!out.text.includes('\u001b[3'), 'colour without being asked');
    const shown = out.text.split('\n').map((line) => line.split('\r\u001b[2K').at(-1));
    assert.equal(shown.length, 3);
    assert.match(shown[0]!, /^adding-tasks/);
    assert.match(shown[1]!, /^running .* tasks 2\/4 done/);
    assert.equal(shown[2], '');
  });

  test('TTY: a note goes above the live line, which comes back', () => {
    const out = new Captured(true, 100);
    const tty = new TtyRenderer(out, true);
    tty.show(at('running', 1));
    tty.note('Waiting for a cleanup decision');
    const clear = '\r\u001b[2K';
    const note = '\u001b[33mWaiting for a cleanup decision\u001b[0m\n';
    assert.ok(out.text.includes(`${clear}${note}${clear}`), JSON.stringify(out.text));
    assert.match(out.chunks.at(-1)!, /tasks 1\/4 done/);
  });

  test('JSON: one parseable object per change, with the facts and the estimate', () => {
    const out = new Captured();
    const json = new JsonRenderer(out);
    json.show(at('running', 1, 9000.4));
    json.show(at('running', 1, 8000));
    json.note('hello');
    const lines = out.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal((lines[0].progress as Progress).tasks.counts.completed, 1);
    assert.equal(lines[0].etaMs, 9000);
    assert.deepEqual(lines[1], { notice: 'hello' });
  });
});

test('the upload is read from the uploadInputs heartbeat with the data converter', async () => {
  const converter = loadDataConverter({});
  const heartbeat = { watermark: 2, transferred: 2, skipped: 1, bytes: 3 << 20 };
  const view = await readPending(
    [
      {
        activityType: { name: 'uploadInputs' },
        attempt: 1,
        heartbeatDetails: { payloads: [defaultPayloadConverter.toPayload(heartbeat)] },
      },
      {
        activityType: { name: 'getPoolStatus' },
        attempt: 4,
        lastFailure: { message: 'ServerBusy' },
      },
    ],
    converter,
    progressOf('uploading', { files: 5, inputBytes: 5 << 20 }),
  );
  assert.deepEqual(view.upload, {
    files: 5,
    filesDone: 3,
    skipped: 1,
    bytes: 5 << 20,
    bytesSent: 3 << 20,
  });
  assert.deepEqual(view.retrying, [
    { activity: 'getPoolStatus', attempt: 4, message: 'ServerBusy' },
  ]);
});

test('while the tasks run, the counts come from the task watch heartbeat when it is newer', async () => {
  const converter = loadDataConverter({});
  const progress = { ...progressOf('running', { total: 10, counts: { running: 4 } }), polls: 3 };
  const counts = { active: 0, running: 2, completed: 8, succeeded: 7, failed: 1 };
  const view = await readPending(
    [
      {
        activityType: { name: 'watchTasks' },
        attempt: 1,
        heartbeatDetails: {
          payloads: [
            defaultPayloadConverter.toPayload({ counts, pacing: { polls: 9, intervalMs: 500 } }),
          ],
        },
      },
    ],
    converter,
    progress,
  );
  const shown = withWatchedCounts(progress, view.taskWatch);
  assert.deepEqual(shown.tasks.counts, counts);
  assert.equal(shown.polls, 9);
  // The workflow's own counts, once it has them, are not replaced by an older heartbeat.
  assert.equal(
    withWatchedCounts({ ...progress, polls: 9 }, view.taskWatch).tasks.counts.running,
    4,
  );
  assert.equal(withWatchedCounts(progress, undefined), progress);
});

test('the tasks added so far, from the addTasks heartbeat; none before it heartbeats', async () => {
  const converter = loadDataConverter({});
  const progress = progressOf('uploading');
  const heartbeat = { doneBelow: 2, doneChunks: [3], added: 250, alreadyExisted: 50 };
  const view = await readPending(
    [
      {
        activityType: { name: 'addTasks' },
        attempt: 1,
        heartbeatDetails: { payloads: [defaultPayloadConverter.toPayload(heartbeat)] },
      },
    ],
    converter,
    progress,
  );
  assert.equal(view.tasksAdded, 300);
  const before = await readPending(
    [{ activityType: { name: 'addTasks' }, attempt: 1, heartbeatDetails: { payloads: [] } }],
    converter,
    progress,
  );
  assert.equal(before.tasksAdded, undefined);
});

test('an upload without a heartbeat yet, or with one of another shape, shows nothing done', async () => {
  const converter = loadDataConverter({});
  const progress = progressOf('uploading');
  for (const payloads of [undefined, [defaultPayloadConverter.toPayload({ doneChunks: [1] })]]) {
    const view = await readPending(
      [{ activityType: { name: 'uploadInputs' }, attempt: 1, heartbeatDetails: { payloads } }],
      converter,
      progress,
    );
    assert.equal(view.upload?.filesDone, 0);
    assert.equal(view.upload?.bytesSent, 0);
  }
});

describe('watchRun over a scripted run', () => {
  function scriptedHandle(script: Progress[], pending: unknown[] = []) {
    let queries = 0;
    let release: (r: TranscodeResult) => void = () => {};
    const result = new Promise<TranscodeResult>((resolve) => (release = resolve));
    const handle = {
      workflowId: 'wf-1',
      client: { options: { loadedDataConverter: loadDataConverter({}) } },
      result: () => result,
      query: () => {
        const progress = script[Math.min(queries, script.length - 1)];
        if (++queries >= script.length) {
          setTimeout(() => release({ status: 'succeeded' } as TranscodeResult), 20);
        }
        return Promise.resolve(progress);
      },
      describe: () => Promise.resolve({ raw: { pendingActivities: pending } }),
    };
    return handle as unknown as WorkflowHandle<TranscodeWorkflow>;
  }

  const script = [
    progressOf('uploading', { allocationState: 'resizing' }),
    progressOf('running', { total: 2, counts: { running: 2 } }),
    progressOf('running', { total: 2, counts: { completed: 1, running: 1 } }),
    progressOf('awaiting-cleanup-decision', { total: 2, counts: { completed: 2 } }),
  ];
  const upload = {
    activityType: { name: 'uploadInputs' },
    attempt: 1,
    heartbeatDetails: {
      payloads: [
        defaultPayloadConverter.toPayload({
          watermark: 4,
          transferred: 4,
          skipped: 0,
          bytes: 4 << 20,
        }),
      ],
    },
  };

  test('plain lines through to the result; the cleanup hint when nobody is asked', async () => {
    const out = new Captured();
    const result = await watchRun(scriptedHandle(script, [upload]), {
      json: false,
      tty: false,
      intervalMs: 5,
      out,
    });
    assert.equal(result.status, 'succeeded');
    const lines = out.lines;
    assert.match(lines[0], /^\[uploading\] .*upload 4\/5 files, 4\.0 MiB sent/);
    assert.match(lines[1], /^\[running\] .*tasks 0\/2 done/);
    assert.match(lines[2], /^\[running\] .*tasks 1\/2 done/);
    assert.match(lines[3], /^\[awaiting-cleanup-decision\] .*cleanup decision needed/);
    assert.match(lines[4], /^Waiting for a cleanup decision .*approve-cleanup wf-1/);
    assert.equal(lines.length, 5);
  });

  test('the person is asked once, on the terminal, when the run waits for them', async () => {
    const out = new Captured(true);
    const asked: string[] = [];
    await watchRun(scriptedHandle([...script, script[3], script[3]]), {
      json: false,
      tty: true,
      intervalMs: 5,
      out,
      colour: false,
      onCleanupDecision: (progress) => {
        asked.push(progress.phase);
        return Promise.resolve();
      },
    });
    assert.deepEqual(asked, ['awaiting-cleanup-decision']);
    assert.ok(out.text.endsWith('\n'), 'the live line is left open');
  });

  test('what the input folder held besides the inputs is told once, before the line that shows it', async () => {
    const inspection = inspectionOf(9, { folders: 1, notMatching: 2, brokenLinks: ['old.mp4'] });
    const inspected = script.map((progress) => ({ ...progress, inspection }));
    const out = new Captured();
    await watchRun(scriptedHandle(inspected), { json: false, tty: false, intervalMs: 5, out });
    const told = out.lines.filter((line) => line.startsWith('Input folder'));
    assert.deepEqual(told, [
      'Input folder: 9 entries; left out: 2 of other names, 1 folder(s) (not searched), 1 broken link(s) (old.mp4)',
    ]);
    assert.equal(out.lines.indexOf(told[0]), 0);
  });

  test('a folder that held only the inputs: nothing told', async () => {
    const plain = script.map((progress) => ({ ...progress, inspection: inspectionOf(5) }));
    const out = new Captured();
    await watchRun(scriptedHandle(plain), { json: false, tty: false, intervalMs: 5, out });
    assert.equal(out.lines.filter((line) => line.startsWith('Input folder')).length, 0);
  });

  test('a run that does not answer is reported once, then watched on', async () => {
    const out = new Captured();
    let calls = 0;
    const handle = scriptedHandle(script);
    const answer = handle.query.bind(handle);
    (handle as unknown as { query: () => Promise<Progress> }).query = () =>
      ++calls <= 4 ? Promise.reject(new Error('no poller seen')) : answer(undefined as never);
    await watchRun(handle, { json: false, tty: false, intervalMs: 5, out });
    const notes = out.lines.filter((line) => line.startsWith('No progress'));
    assert.deepEqual(notes, ['No progress from wf-1 yet (is a worker running?): no poller seen']);
  });
});
