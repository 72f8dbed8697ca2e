// The operator's view in a real browser: a transcode run in the Temporal Web UI of the test
// stack — found in the workflow list, its summary and live task counts read from the run page,
// the cleanup approved with the UI's own "Send a Signal" dialog, and the run seen Completed.
// Screenshots go to test-artifacts/ui/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { makeSampleClips } from '../../src/demo/samples';
import { transcodePhaseKey, progressQuery, type TranscodeWorkflow } from '../../src/transcode';
import { testConfig } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import {
  appears,
  browserMissing,
  markdownFrame,
  openBrowser,
  tableRows,
  type Browser,
} from './browser';

const FILES = 5;

/** The counts row of the Current Details table, by column name. */
type Counts = Record<'tasks' | 'active' | 'running' | 'succeeded' | 'failed' | 'completed', number>;

describe('Temporal Web UI', { skip: browserMissing(), timeout: 180_000 }, () => {
  let tw: TestWorker;
  let browser: Browser;
  let handle: WorkflowHandle<TranscodeWorkflow>;
  let page: Page;
  let uiUrl: string;
  let clips: string;
  let gate: string;
  /** The tasks wait while this file exists (the emulator runs them here, as local processes),
   * so the run page is read while they are in flight however slow the machine is. */
  const releaseTasks = () => gate && fs.rmSync(gate, { force: true });
  const workflowId = `web-ui-${Date.now()}`;
  const summary = `${FILES} files → mp3 on pool pool-${workflowId}`;

  before(async () => {
    const [worker, opened] = await Promise.all([
      testConfig().then((config) => startTestWorker(config, 'web-ui')),
      openBrowser(),
    ]);
    tw = worker;
    browser = opened;
    page = browser.page;
    uiUrl = tw.config.temporal.uiUrl;
    clips = fs.mkdtempSync(path.join(os.tmpdir(), 'web-ui-clips-'));
    await makeSampleClips(clips, FILES, 1);
    // Where the emulator's task user (another account when it runs as root) can look: the
    // test runner's private TMPDIR is closed to it.
    const gateDir = fs.mkdtempSync('/tmp/web-ui-gate-');
    fs.chmodSync(gateDir, 0o755);
    gate = path.join(gateDir, 'held');
    fs.writeFileSync(gate, '');
    handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [
        {
          input: { localDir: clips },
          output: {
            commandTemplate: `/bin/bash -c "while [ -e ${gate} ]; do sleep 0.2; done; ffmpeg -y -i {input} {output}"`,
          },
          pool: { id: `pool-${workflowId}`, lowPriorityNodes: 2 },
          cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
          polling: { minIntervalSeconds: 0.5, maxIntervalSeconds: 1 },
        },
      ],
      typedSearchAttributes: [{ key: transcodePhaseKey, value: 'starting' }],
      staticSummary: summary,
    });
  });

  after(async () => {
    // Removing the gate's folder releases any task still held.
    if (gate) fs.rmSync(path.dirname(gate), { recursive: true, force: true });
    await browser?.close();
    // Never leave a run waiting for a decision if a step failed.
    await handle?.terminate('web-ui test ended').catch(() => undefined);
    if (clips) fs.rmSync(clips, { recursive: true, force: true });
  });

  /** Asks the UI for fresh Current Details ("Press R for freshness") until `match` holds. */
  async function currentDetailsUntil(
    match: (text: string, counts: Counts) => boolean,
    timeoutMs: number,
  ): Promise<{ text: string; counts: Counts }> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const found = await markdownFrame(page, (text) => text.startsWith('Phase:'));
      if (found) {
        last = found.text;
        const [header, row] = await tableRows(found.frame).catch(() => [[], []]);
        const counts = Object.fromEntries(
          header.map((name, i) => [name, Number(row[i])]),
        ) as Counts;
        if (match(found.text, counts)) return { text: found.text, counts };
      }
      if (Date.now() > deadline) {
        assert.fail(`Current Details never matched; last read:\n${last || '(nothing rendered)'}`);
      }
      await page.keyboard.press('r');
      await sleep(500);
    }
  }

  test('the workflow list shows the run, running, with its phase', async () => {
    const query = encodeURIComponent(`WorkflowId="${workflowId}"`);
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
    // The phase and pool are search attributes: show them as columns, as an operator would.
    await page.getByTestId('workflows-summary-table-configuration-button').click();
    for (const column of ['TranscodePhase', 'BatchPoolId']) {
      await page.getByTestId(`orderable-list-item-${column}-add-button`).click();
    }
    await page.getByTestId('orderable-list-item-Run ID-remove-button').click();
    await page.getByTestId('drawer-close-button').click();
    await page.getByTestId('drawer-close-button').waitFor({ state: 'hidden' });

    const row = page.getByTestId('workflows-summary-configurable-table-row').filter({
      hasText: workflowId,
    });
    let headers: string[] = [];
    let cells: string[] = [];
    const cell = (name: string) => cells[headers.indexOf(name)];
    // The run starts with TranscodePhase "starting"; its first phase (and its pool id) follow.
    for (let attempt = 0; ; attempt++) {
      // After a (re)load the list fills in a moment later: wait for the row before reading it.
      cells = [];
      if (await appears(row, 5_000)) {
        headers = (await page.locator('thead th').allInnerTexts()).map((h) => h.trim());
        cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
      }
      if (cells.length > 0 && cell('TranscodePhase') !== 'starting') break;
      assert.ok(attempt < 20, `${workflowId} not in the list with a phase: ${cells.join(' | ')}`);
      await sleep(500);
      await page.reload();
    }
    assert.equal(
      cells.length,
      headers.length,
      `cells ${cells.join('|')} under ${headers.join('|')}`,
    );
    assert.equal(cell('Status'), 'Running');
    assert.equal(cell('Type'), 'transcodeWorkflow');
    assert.match(
      cell('TranscodePhase'),
      /^(preparing|uploading|waiting-for-pool|creating-job|adding-tasks|running)$/,
    );
    assert.equal(cell('BatchPoolId'), `pool-${workflowId}`);
    await browser.screenshot('01-workflow-list');
  });

  test('the run page shows the summary and live task counts in Current Details', async () => {
    await page
      .getByTestId('workflows-summary-configurable-table-row')
      .getByRole('link', { name: workflowId, exact: true })
      .click();
    await page.locator('#user-metadata-tab').click();

    let shownSummary: string | undefined;
    for (let attempt = 0; attempt < 20 && shownSummary !== summary; attempt++) {
      shownSummary = (await markdownFrame(page, (text) => text.trim() === summary))?.text.trim();
      if (shownSummary !== summary) await sleep(250);
    }
    assert.equal(shownSummary, summary, 'the Summary panel does not show the static summary');

    try {
      const running = await currentDetailsUntil(
        // The first poll's counts (before it, the table still shows zeros): the tasks are held.
        (text, c) => /^Phase: running/.test(text) && c.active + c.running === FILES,
        60_000,
      );
      const c = running.counts;
      assert.equal(c.tasks, FILES, running.text);
      assert.equal(c.completed, 0, running.text);
      assert.equal(c.succeeded + c.failed, 0, running.text);
      assert.match(running.text, new RegExp(`pool: pool-${workflowId} \\(steady\\)`));
      assert.match(running.text, /Nodes[^:]*: .*\d+ (idle|running)/);
      // What the UI showed is what the workflow knew then.
      const progress = await handle.query(progressQuery);
      assert.equal(progress.tasks.counts.active + progress.tasks.counts.running, FILES);
      await browser.screenshot('02-run-current-details-running');
    } finally {
      releaseTasks();
    }
  });

  test('approveCleanup sent from the UI lets the run finish: Completed', async () => {
    const waiting = await currentDetailsUntil(
      (text) => /^Phase: awaiting-cleanup-decision/.test(text),
      40_000,
    );
    assert.deepEqual(waiting.counts, {
      tasks: FILES,
      active: 0,
      running: 0,
      succeeded: FILES,
      failed: 0,
      completed: FILES,
    });
    assert.match(waiting.text, /Cleanup decision needed/);

    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.locator('[data-testid="signal-button"]:visible').click();
    const dialog = page.locator('[data-testid="signal-confirmation-modal"]:visible');
    await dialog.getByRole('heading', { name: 'Send a Signal' }).waitFor();
    await dialog.getByTestId('signal-select-button').click();
    // The handler's description, registered by the workflow, is offered with its name.
    const option = dialog.getByRole('option', { name: /approveCleanup/ });
    assert.match(await option.innerText(), /Decide the cleanup: \{deleteJob, deletePool\}/);
    await option.click();
    // Already formatted as the editor formats on blur: otherwise the dialog grows under the
    // pointer and the first click on Submit misses.
    const decision = JSON.stringify({ deleteJob: true, deletePool: true }, null, 2);
    await dialog.locator('.cm-content[contenteditable=true]').fill(decision);
    await browser.screenshot('03-send-signal-approve-cleanup');
    const [response] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().includes('/signal/approveCleanup'),
      ),
      dialog.getByRole('button', { name: 'Submit' }).click(),
    ]);
    assert.equal(response.status(), 200);

    await page.locator('header').getByText('Completed', { exact: true }).waitFor({
      timeout: 30_000,
    });
    await page.locator('#history-tab').click();
    await page.getByText('"status": "succeeded"').first().waitFor();
    await browser.screenshot('04-run-completed');

    const result = await handle.result();
    assert.equal(result.status, 'succeeded', result.message);
    assert.equal(result.counts.succeeded, FILES);
    const progress = await handle.query(progressQuery);
    assert.equal(progress.cleanup.decision?.by, 'signal');
    assert.ok(result.resources.deleted.includes(`pool pool-${workflowId}`), 'pool not deleted');
    assert.ok(result.resources.deleted.includes(`job ${progress.job.id}`), 'job not deleted');
  });
});
