// `watch <id> --web` in a real browser (Debian's Chromium, playwright-core), on the test stack:
// a 10-node pool's heatmap while tasks run, a node preempted through the emulator's control
// plane and seen preempted, the approve-cleanup button completing the run; then bad input: an
// unknown id, a finished run (final state, buttons disabled), a worker that is down (said, and
// retried until a worker comes). Screenshots go to test-artifacts/ui/live-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { EmulatorControl, operationCount } from 'azure-batch-emulator/control';
import type { Page } from 'playwright-core';
import { makeSampleClips } from '../../src/demo/samples';
import type { AppConfig } from '../../src/config';
import type { TranscodeInput, TranscodeWorkflow } from '../../src/transcode';
import type { RunView } from '../../src/web/monitor';
import { runCli } from '../helpers/cli';
import { testConfig } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { browserMissing, openBrowser, type Browser } from '../ui/browser';
import { clientEnv, serveWeb, type ServedPage } from './serve';

const NODES = 10;
/** A preempted node's states until it is back: preempted, then it boots again. */
const AFTER_PREEMPTION = new Set(['preempted', 'creating', 'starting', 'waitingforstarttask']);

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
const FILES = 10;
// The 10-node run's tasks wait while this file exists, so that the heatmap is seen with nodes
// running and the pool whole (when tasks end, the pool shrinks to the busy nodes). In /tmp: the
// test runner's private TMPDIR is closed to the emulator's task user.
const gateDir = fs.mkdtempSync('/tmp/live-page-gate-');
fs.chmodSync(gateDir, 0o755);
const gate = path.join(gateDir, 'held');

describe('watch --web: the live page', { skip: browserMissing(), timeout: 180_000 }, () => {
  let config: AppConfig;
  let tw: TestWorker;
  let browser: Browser;
  let page: Page;
  let clips: string;
  const served: ServedPage[] = [];
  const handles: Array<WorkflowHandle<TranscodeWorkflow>> = [];

  const input = (workflowId: string, files = FILES): TranscodeInput => ({
    input: { localDir: clips, pattern: files === FILES ? '*.mp4' : 'LowPriVMs-1.mp4' },
    // Held while the gate file exists (the page is looked at mid-run, however slow the machine),
    // then a short sleep: cheap on the machine's two cores.
    output: {
      commandTemplate: `/bin/bash -c "while [ -e ${gate} ]; do sleep 0.2; done; sleep 2; cp {input} {output}"`,
    },
    pool: { id: `pool-${workflowId}`, lowPriorityNodes: files === FILES ? NODES : 1 },
    cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
    polling: { minIntervalSeconds: 0.5, maxIntervalSeconds: 1 },
  });

  async function serve(workflowId: string): Promise<ServedPage> {
    const s = await serveWeb(config, workflowId);
    served.push(s);
    return s;
  }

  const state = async (s: ServedPage): Promise<RunView> =>
    (await (await fetch(new URL('/api/state', s.url))).json()) as RunView;

  before(async () => {
    config = await testConfig();
    [tw, browser] = await Promise.all([startTestWorker(config, 'live-page'), openBrowser()]);
    page = browser.page;
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'live-page-clips-'));
    await makeSampleClips(clips, FILES, 1);
  });

  after(async () => {
    await browser?.close();
    for (const s of served) await s.stop();
    for (const h of handles) await h.terminate('live-page test ended').catch(() => undefined);
    if (clips) fs.rmSync(clips, { recursive: true, force: true });
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  test('a 10-node pool mid-run, a preemption, then approve cleanup completes the run', async () => {
    const workflowId = `live-page-${Date.now()}`;
    fs.writeFileSync(gate, '');
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [input(workflowId)],
    });
    handles.push(handle);
    const s = await serve(workflowId);
    await page.goto(s.url);

    // Mid-run: one square per node of the pool, several of them running tasks.
    const squares = page.locator('#heatmap .node');
    const running = page.locator('#heatmap .node[data-state="running"]');
    // The run's phase follows the pool's on its next pool poll, and the task counts (from the
    // task watch's heartbeat, throttled) can trail the node list by a heartbeat: wait for all.
    const runningCount = page.locator('[data-count="running"]');
    await until(
      async () =>
        (await squares.count()) === NODES &&
        (await running.count()) >= 3 &&
        (await page.locator('#status').innerText()) === 'running' &&
        Number(await runningCount.innerText()) >= 3,
      60_000,
      'ten squares, three of them running, the run running with three tasks counted running',
    );
    assert.equal(await squares.count(), NODES);
    assert.match(await page.locator('#node-count').innerText(), /^10 nodes in pool /);
    const tip = await running.first().getAttribute('title');
    assert.match(tip ?? '', /running: task-\d{5}/, 'hover shows the tasks on the node');
    assert.equal(await page.locator('#status').innerText(), 'running');
    assert.ok(Number(await runningCount.innerText()) >= 3);
    console.log(`screenshot: ${await browser.screenshot('live-10-nodes-running')}`);

    // A preemption through the emulator's control plane shows on the page.
    const emulator = new EmulatorControl(config.batch.url);
    const poolId = `pool-${workflowId}`;
    const [preempted] = await emulator.preempt(poolId, 1);
    assert.ok(preempted, 'no node preempted');
    // Batch brings a preempted low-priority node back (the emulator after about a second):
    // the square must leave `running` for the preemption's states, whichever one a refresh sees.
    const square = page.locator(`#heatmap .node[data-id="${preempted}"]`);
    const seen = new Set<string>();
    await until(
      async () => {
        seen.add((await square.getAttribute('data-state')) ?? 'absent');
        return [...seen].some((state) => AFTER_PREEMPTION.has(state));
      },
      20_000,
      `node ${preempted} shown preempted or restarting`,
    );
    console.log(`states of the preempted node seen on the page: ${[...seen].join(', ')}`);
    assert.equal(await squares.count(), NODES);
    console.log(`screenshot: ${await browser.screenshot('live-after-preemption')}`);

    // Two viewers share one refresh loop: node-list calls follow the refreshes, not the viewers.
    const second = await page.context().newPage();
    await second.goto(s.url);
    const [statsBefore, viewBefore] = await Promise.all([emulator.stats(), state(s)]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const [statsAfter, viewAfter] = await Promise.all([emulator.stats(), state(s)]);
    await second.close();
    const lists = operationCount(statsBefore, statsAfter, 'ComputeNode_List');
    const refreshes = viewAfter.refreshes - viewBefore.refreshes;
    const polls = (viewAfter.progress?.polls ?? 0) - (viewBefore.progress?.polls ?? 0);
    console.log(
      `2 viewers, 3 s: ${lists} node lists, ${refreshes} refreshes, ${polls} workflow polls`,
    );
    assert.ok(refreshes >= 2, `too few refreshes: ${refreshes}`);
    assert.ok(lists <= refreshes + polls + 1, `${lists} node lists for ${refreshes} refreshes`);

    // The tasks may end now; the run waits for the decision; the button sends it (keeping
    // nothing) and the run ends.
    fs.rmSync(gate, { force: true });
    await page
      .locator('#status', { hasText: /^awaiting-cleanup-decision$/ })
      .waitFor({ timeout: 90_000 });
    assert.equal(await page.locator('#approve').isEnabled(), true);
    await page.locator('#approve').click();
    await page.locator('#answer', { hasText: 'Sent approveCleanup' }).waitFor();
    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.ok(result.resources.deleted.includes(`pool ${poolId}`), 'the pool was not deleted');
    await page.locator('#status', { hasText: /^succeeded$/ }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#approve').isDisabled(), true);
    assert.equal(await page.locator('#cancel').isDisabled(), true);
    assert.match(await page.locator('[data-count="succeeded"]').innerText(), /^10$/);
    console.log(`screenshot: ${await browser.screenshot('live-completed')}`);

    // A finished run opened afresh: its final state, nothing to send.
    const again = await serve(workflowId);
    await page.goto(again.url);
    await page.locator('#outcome', { hasText: 'Ended:' }).waitFor();
    assert.equal(await page.locator('#status').innerText(), 'succeeded');
    assert.equal(await page.locator('#approve').isDisabled(), true);
    assert.match(await page.locator('#decision').innerText(), /ended/);
    // Node time (and cost, with prices) when the run reports it.
    const final = await state(again);
    if (final.usage) assert.equal(await page.locator('#cost').innerText(), final.usage);
  });

  test('an unknown workflow id: one line, exit 2, nothing served', async () => {
    const answer = await runCli(clientEnv(config), 'watch', `no-such-run-${Date.now()}`, '--web');
    assert.equal(answer.code, 2, answer.stderr);
    assert.match(answer.stderr, /^No run no-such-run-\d+ in this namespace: check the id/);
    assert.doesNotMatch(answer.stdout, /Live page/);
  });

  test('off loopback without a token: refused before anything connects', async () => {
    const answer = await runCli(clientEnv(config), 'watch', 'any', '--web', '--host', '0.0.0.0');
    assert.equal(answer.code, 2);
    assert.match(answer.stderr, /--token/);
  });

  test('the worker is down: the page says so and keeps retrying until one answers', async () => {
    // Its task must not wait on the gate, even if the test before failed with it still shut.
    fs.rmSync(gate, { force: true });
    const workflowId = `live-page-noworker-${Date.now()}`;
    const taskQueue = `${workflowId}-queue`;
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue,
      workflowId,
      args: [{ ...input(workflowId, 1), cleanup: { policy: 'always' } }],
    });
    handles.push(handle);
    const s = await serve(workflowId);
    await page.goto(s.url);
    await page.locator('#problem', { hasText: 'No worker answers' }).waitFor({ timeout: 20_000 });
    assert.match(await page.locator('#problem').innerText(), /Retrying/);
    console.log(`screenshot: ${await browser.screenshot('live-worker-down')}`);
    // A worker comes: the page recovers on its own.
    await startTestWorker(
      { ...config, temporal: { ...config.temporal, taskQueue } },
      'live-page-late',
      { exactTaskQueue: true },
    );
    await page.locator('#problem').waitFor({ state: 'hidden', timeout: 30_000 });
    assert.notEqual(await page.locator('#status').innerText(), 'connecting');
    await handle.result();
  });
});
