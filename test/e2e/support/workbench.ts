import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { repoRoot, type CodeServer } from './codeServer';

export const resultsDir = join(repoRoot, 'test-results');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const consoleLines = new WeakMap<Page, string[]>();

/** The browser console of the page and its frames (the last 400 lines): a failure's evidence. */
export function browserConsole(page: Page): readonly string[] {
  return consoleLines.get(page) ?? [];
}

/** Opens the workbench on the server's workspace and waits until it is interactive; `initScript` runs in every frame first (a bench's probes). */
export async function openWorkbench(browser: Browser, server: CodeServer, initScript?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const lines: string[] = [];
  consoleLines.set(page, lines);
  const push = (line: string): void => {
    lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  page.on('console', (message) => push(`${message.type()} ${message.location().url.replace(/\?.*$/, '').split('/').slice(-2).join('/')}: ${message.text().slice(0, 300)}`));
  page.on('pageerror', (error) => push(`pageerror: ${error.message.slice(0, 300)}`));
  // Webviews in the browser all go through one service worker registration: what it says too.
  page.context().on('serviceworker', (worker) => {
    const id = new URL(worker.url()).searchParams.get('id') ?? worker.url().replace(/\?.*$/, '').split('/').pop();
    push(`service worker started: ${id}`);
    worker.on('console', (message) => push(`service worker ${id}: ${message.text().slice(0, 300)}`));
    worker.on('close', () => push(`service worker closed: ${id}`));
  });
  if (initScript) await page.addInitScript({ content: initScript });
  // The workbench's first load waits for its scripts: as long as the waits below on a busy machine, not Playwright's 30 s.
  await page.goto(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.activitybar').waitFor({ timeout: 60_000 });
  return page;
}

/**
 * Picks "ML Engineer: Local" as the open notebook's kernel, as a person would (the notebook's
 * kernel button, else Select Notebook Kernel), once the extension log says the local server's
 * Python 3 kernel is offered.
 */
export async function pickOurLocalKernel(page: Page, extensionLog: () => string): Promise<void> {
  for (let i = 0; i < 240 && !/kernel "Python 3.*" of Local is offered/.test(extensionLog()); i++) await page.waitForTimeout(250);
  // The kernel button in the notebook's toolbar, as a person clicks it. The palette's Select
  // Notebook Kernel is listed only while the notebook has focus, and a click into a rendered
  // Markdown cell gives it to the cell's webview instead.
  const button = page.locator('.notebookOverlay .kernel-action-view-item').first();
  const picked = await button
    .click({ timeout: 10_000 })
    .then(() => page.locator('.quick-input-widget').waitFor({ timeout: 5_000 }))
    .then(() => true, () => false);
  if (!picked) await runCommand(page, 'Notebook: Select Notebook Kernel');
  const ours = page.locator('.quick-input-list .monaco-list-row', { hasText: 'ML Engineer: Local' }).first();
  await ours.waitFor({ timeout: 30_000 });
  await ours.click({ position: { x: 20, y: 8 } });
}

/** Runs a palette command by its title, as a person would: F1, type, Enter. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // F1 goes to whatever has focus: a notebook output or another webview swallows it. Click the
  // editor area first; if the palette does not open, click an empty part of the status bar and retry.
  // A webview that takes the focus just after (an editor still opening) closes the palette again:
  // then the text cannot be typed, and the palette is opened again.
  for (let attempt = 0; ; attempt++) {
    if (attempt === 0) await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } }).catch(() => undefined);
    else await page.locator('.part.statusbar').click({ position: { x: 700, y: 10 } }).catch(() => undefined);
    await page.keyboard.press('F1');
    const opened = await input.waitFor({ timeout: 5_000 }).then(() => true, () => false);
    if (opened && (await input.fill(`>${title}`, { timeout: 5_000 }).then(() => true, () => false))) break;
    if (attempt === 3) throw new Error(`the command palette did not ${opened ? 'stay open' : 'open'} to run "${title}"`);
    await page.keyboard.press('Escape');
  }
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

/** The explorer row of a file, its folder (at the workspace's root) opened first as a person would. */
export async function explorerRow(page: Page, name: string, folder?: string): Promise<Locator> {
  const explorer = page.locator('.explorer-folders-view');
  if (!(await explorer.isVisible())) await page.locator('.activitybar a[aria-label^="Explorer"]').click();
  const row = explorer.locator('.monaco-list-row', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  if (folder && !(await row.isVisible())) await explorer.locator('.monaco-list-row', { hasText: new RegExp(`^${folder}$`) }).click();
  await row.waitFor({ timeout: 30_000 });
  return row;
}

/**
 * Right-click > `item` on a row (a tree's, the explorer's). Right after start the menu can lack the
 * extension's items (contributions still loading): it is reopened until they are there.
 */
export async function rowContextMenu(page: Page, row: () => Promise<Locator>, item: string): Promise<void> {
  const entry = page.locator('.context-view.monaco-menu-container .action-item', { hasText: item });
  for (let attempt = 0; ; attempt++) {
    await (await row()).click({ button: 'right' });
    await page.locator('.context-view.monaco-menu-container').waitFor({ timeout: 10_000 });
    if (await entry.count()) break;
    if (attempt === 20) throw new Error(`no "${item}" in the context menu`);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
  await entry.first().click();
  // A click that lands while the menu is still settling only highlights the item: then Enter runs it.
  const menu = page.locator('.context-view.monaco-menu-container');
  await menu.waitFor({ state: 'hidden', timeout: 1000 }).catch(() => page.keyboard.press('Enter'));
  await menu.waitFor({ state: 'hidden', timeout: 5000 });
}

/** Right-click > `item` on an explorer file (its folder opened first). */
export function explorerContextMenu(page: Page, name: string, item: string, folder?: string): Promise<void> {
  return rowContextMenu(page, () => explorerRow(page, name, folder), item);
}

/** The innermost frame of a webview whose document contains the selector. */
export async function findWebviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      // Only a webview's content frame (pre/fake.html) is queried: VS Code's loader frame around
      // it (pre/index.html) and a frame not yet given its document are left alone while they load.
      if (!frame.url().includes('/webview/browser/pre/fake.html') && frame !== page.mainFrame()) continue;
      if (await frame.locator(selector).count().catch(() => 0)) return frame;
    }
    await page.waitForTimeout(250);
  }
  // What was there instead, for a failure read only from CI's output.
  const frames = await Promise.all(
    page.frames().map(async (f) => {
      const url = f.url().replace(/\?.*$/, '');
      // A webview host frame: its content iframes as VS Code left them (pending or active, shown or not).
      const inner = url.endsWith('pre/index.html')
        ? await f.evaluate(() => [...document.querySelectorAll('iframe')].map((i) => `#${i.id} ${i.getAttribute('src')?.replace(/\?.*$/, '')} ${i.style.visibility}`).join(', ')).catch(() => '?')
        : (await f.locator('body').innerText({ timeout: 1_000 }).catch(() => '?')).slice(0, 80).replace(/\s+/g, ' ');
      return `${url.replace(/^.*\/(stable-\w+)\/static\/out\//, '…/')} (${inner})`;
    }),
  );
  throw new Error(`no webview frame has ${selector}; frames: ${frames.join(' | ')}`);
}

/** Saves a screenshot and the logs under test-results/<name>/ (called on failure and for README images). */
export async function keepEvidence(name: string, page: Page | undefined, server: CodeServer | undefined): Promise<string> {
  const dir = join(resultsDir, name.replace(/[^\w.-]+/g, '_').slice(0, 100));
  mkdirSync(dir, { recursive: true });
  if (page) await page.screenshot({ path: join(dir, 'screenshot.png') }).catch(() => undefined);
  if (page) writeFileSync(join(dir, 'browser-console.log'), browserConsole(page).join('\n'));
  if (server) {
    writeFileSync(join(dir, 'remoteexthost.log'), server.extensionHostLog());
    writeFileSync(join(dir, 'ml-engineer.log'), server.extensionLog());
  }
  return dir;
}

/** Keeps a screenshot under test-results/screenshots/; UPDATE_SCREENSHOTS=1 also refreshes the README's copy in `docs` (docs/images/ unless said). */
export async function saveScreenshot(page: Page, name: string, docs = 'docs/images'): Promise<void> {
  const dir = join(resultsDir, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
  if (process.env.UPDATE_SCREENSHOTS) {
    mkdirSync(join(repoRoot, docs), { recursive: true });
    copyFileSync(join(dir, `${name}.png`), join(repoRoot, docs, `${name}.png`));
  }
}
