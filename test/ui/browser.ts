// A real browser for the Web UI tests: Debian's chromium driven by playwright-core (npm cannot
// download a browser here; the bootstrap installs chromium on Debian when it is missing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  chromium,
  type BrowserContext,
  type Frame,
  type Locator,
  type Page,
} from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'ui');

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return fs.existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is missing: run \`node src/stack/bootstrap.cjs\` as root on Debian, or \`apt-get install -y chromium\``;
}

export interface Browser {
  page: Page;
  /** Saves a screenshot of the page into test-artifacts/ui/ and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-chromium-'));
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1800, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  return {
    page,
    async screenshot(name) {
      const file = path.join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The text of the Markdown the UI renders in iframes (Summary, Details, Current Details): the
 * first frame whose text satisfies `match`, or undefined. The UI recreates a frame whenever its
 * content changes, so this looks again at every call.
 */
export async function markdownFrame(
  page: Page,
  match: (text: string) => boolean,
): Promise<{ frame: Frame; text: string } | undefined> {
  for (const frame of page.frames()) {
    if (!frame.url().includes('/render?')) continue;
    const text = await frame
      .locator('body')
      .innerText({ timeout: 1000 })
      .catch(() => '');
    if (match(text)) return { frame, text };
  }
  return undefined;
}

/** Rows of the first table in a frame, each as the trimmed text of its cells. */
export async function tableRows(frame: Frame): Promise<string[][]> {
  const rows = frame.locator('table').first().locator('tr');
  const result: string[][] = [];
  for (let i = 0, n = await rows.count(); i < n; i++) {
    const cells = await rows.nth(i).locator('th, td').allInnerTexts();
    result.push(cells.map((cell) => cell.trim()));
  }
  return result;
}

/** Whether the locator shows up within the time (without failing the test when it does not). */
export async function appears(locator: Locator, timeoutMs: number): Promise<boolean> {
  try {
    await locator.waitFor({ timeout: timeoutMs });
    return true;
  } catch {
    return false;
  }
}
