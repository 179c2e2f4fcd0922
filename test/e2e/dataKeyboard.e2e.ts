import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { eventually } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { explorerContextMenu, findWebviewFrame, runCommand, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

// The Dataset viewer by keyboard alone and in a narrow editor, in code-server + Chromium: Quick
// Open and the command palette open the file, the keys walk the grid to its last row, sort by a
// header and copy a cell and a row; at 360 px the toolbar, header and summaries stay usable
// and nothing but the grid scrolls sideways. media/data/gridKeys.ts holds the keys.

const ROWS = 3000;
const NARROW = 360;
const score = (id: number): number => ((id * 37) % 1000) / 10;
const day = (id: number): string => new Date(Date.UTC(2024, 0, 1 + (id % 365))).toISOString().slice(0, 10);

describe('Dataset viewer by keyboard and at narrow widths (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let frame: Frame;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        const lines = ['id,name,score,day'];
        for (let id = 1; id <= ROWS; id++) lines.push(`${id},item-${id},${score(id)},${day(id)}`);
        writeFileSync(join(workspace, 'keys.csv'), `${lines.join('\n')}\n`);
        // A folder of shards in a hive layout (Open Folder as Dataset): the test split adds a column; Spark's _SUCCESS beside them.
        mkdirSync(join(workspace, 'shards/split=train'), { recursive: true });
        mkdirSync(join(workspace, 'shards/split=test'));
        writeFileSync(join(workspace, 'shards/split=train/part-00000.csv'), `id,label\n${Array.from({ length: 20 }, (_, i) => `${i},a`).join('\n')}\n`);
        writeFileSync(join(workspace, 'shards/split=test/part-00000.csv'), `id,label,extra\n${Array.from({ length: 10 }, (_, i) => `${20 + i},b,1`).join('\n')}\n`);
        writeFileSync(join(workspace, 'shards/_SUCCESS'), '');
      },
    },
    async (opened) => {
      ({ server, page } = opened);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    },
  );

  const press = (key: string): Promise<void> => page.keyboard.press(key);
  const active = () => frame.locator('.grid .row.active:not(.loading)');

  /** The active row's number (its gutter), its aria-rowindex and the active cell's column and text. */
  async function activeCell(): Promise<{ row: string; rowIndex: string | null; column: string | null; text: string }> {
    const row = active();
    await row.waitFor({ timeout: 30_000 });
    const cell = row.locator('.cell.focus');
    return { row: await row.locator('.gutter').innerText(), rowIndex: await row.getAttribute('aria-rowindex'), column: await cell.getAttribute('data-column'), text: await cell.innerText() };
  }

  async function waitForActive(expected: { row: string; column: string; text?: string }, timeout = 30_000): Promise<void> {
    const deadline = Date.now() + timeout;
    let seen: Awaited<ReturnType<typeof activeCell>> | undefined;
    while (Date.now() < deadline) {
      seen = await activeCell().catch(() => undefined);
      if (seen && seen.row === expected.row && seen.column === expected.column && (expected.text === undefined || seen.text === expected.text)) {
        assert.equal(seen.rowIndex, String(Number(expected.row) + 1), 'aria-rowindex: the header is row 1');
        return;
      }
      await page.waitForTimeout(200);
    }
    assert.deepEqual(seen, expected);
  }

  const gridFocused = (): Promise<boolean> => frame.evaluate(() => document.hasFocus() && document.activeElement?.classList.contains('grid') === true);

  it('opens a CSV as a Dataset from the keyboard (Quick Open, then the palette) with the focus in the grid', async function () {
    this.timeout(180_000);
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } });
    await press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30_000 });
    await page.keyboard.type('keys.csv');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'keys.csv' }).waitFor({ timeout: 30_000 });
    await press('Enter');
    await page.locator('.tab.active', { hasText: 'keys.csv' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor.focused').waitFor({ timeout: 30_000 });
    await press('F1');
    await input.waitFor({ timeout: 30_000 });
    await page.keyboard.type('Open as Dataset');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Open as Dataset' }).waitFor({ timeout: 30_000 });
    await press('Enter');
    frame = await findWebviewFrame(page, '.grid', 60_000);
    await frame.locator('.facts', { hasText: `${ROWS.toLocaleString('en-US')} rows · 4 columns` }).waitFor({ timeout: 120_000 });
    // The grid holds the keyboard at once: no click needed.
    for (let i = 0; i < 50 && !(await gridFocused()); i++) await page.waitForTimeout(200);
    assert.ok(await gridFocused(), 'the grid has the focus');
    const grid = frame.locator('.grid');
    assert.equal(await grid.getAttribute('role'), 'grid');
    assert.equal(await grid.getAttribute('aria-rowcount'), String(ROWS + 1), 'every row of the view and the header');
    await waitForActive({ row: '1', column: 'id', text: '1' });
    assert.equal(await grid.getAttribute('aria-activedescendant'), 'active-cell');
    assert.equal(await frame.locator('#active-cell').innerText(), '1');
  });

  it('moves with the arrows and Page Down, and reaches the last row with Ctrl+End', async function () {
    this.timeout(120_000);
    await press('ArrowDown');
    await press('ArrowDown');
    await press('ArrowRight');
    await waitForActive({ row: '3', column: 'name', text: 'item-3' });
    await press('PageDown');
    // The grid draws on the next animation frame: wait for the move rather than read at once.
    let paged = await activeCell();
    for (let i = 0; i < 50 && Number(paged.row) <= 3; i++) {
      await page.waitForTimeout(200);
      paged = await activeCell();
    }
    assert.ok(Number(paged.row) > 10, `Page Down moved a page: row ${paged.row}`);
    assert.equal(paged.column, 'name', 'Page Down keeps the column');
    await press('Control+End');
    await waitForActive({ row: String(ROWS), column: 'day', text: day(ROWS) });
    await press('Home');
    await waitForActive({ row: String(ROWS), column: 'id', text: String(ROWS) });
    const drawn = await frame.locator('.grid .row').count();
    assert.ok(drawn < 80, `${drawn} rows in the page (virtualised)`);
    await press('Control+Home');
    await waitForActive({ row: '1', column: 'id', text: '1' });
  });

  it('sorts from the header by keyboard: Up to the header, Right to a column, Enter (twice: descending)', async function () {
    this.timeout(180_000);
    await press('ArrowUp');
    const header = frame.locator('.colhead.focus');
    await header.waitFor({ timeout: 10_000 });
    assert.equal(await header.getAttribute('data-column'), 'id');
    assert.equal(await frame.locator('.grid').getAttribute('aria-activedescendant'), 'active-header');
    await press('ArrowRight');
    await press('ArrowRight');
    await frame.locator('.colhead.focus[data-column="score"]').waitFor({ timeout: 10_000 });
    await press('Enter');
    await frame.locator('.colhead[data-column="score"][aria-sort="ascending"]').waitFor({ timeout: 30_000 });
    await press('Enter');
    await frame.locator('.colhead[data-column="score"][aria-sort="descending"]').waitFor({ timeout: 30_000 });
    const top = Math.max(...Array.from({ length: ROWS }, (_, i) => score(i + 1)));
    await frame.locator('.grid .row:not(.loading)').first().locator('.cell[data-column="score"]', { hasText: new RegExp(`^${top}$`) }).waitFor({ timeout: 120_000 });
    assert.match(await frame.locator('.chips').innerText(), /▼ score/);
    // The column's menu from its header (Alt+Down); Escape gives the keys back to the grid.
    await press('Alt+ArrowDown');
    await frame.locator('.popover:not([hidden])').waitFor({ timeout: 10_000 });
    await press('Escape');
    await frame.locator('.popover[hidden]').waitFor({ state: 'attached', timeout: 10_000 });
    assert.ok(await gridFocused(), 'the grid has the focus again');
  });

  it('copies the active cell with Ctrl+C and a whole row (Shift+Space) with its header', async function () {
    this.timeout(60_000);
    await press('ArrowDown');
    const top = Math.max(...Array.from({ length: ROWS }, (_, i) => score(i + 1)));
    await waitForActive({ row: '1', column: 'score', text: String(top) });
    const id = await active().locator('.cell[data-column="id"]').innerText();
    await page.evaluate(() => navigator.clipboard.writeText('clipboard before'));
    await press('Control+c');
    await frame.locator('.status', { hasText: 'Copied the cell' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), String(top));
    await press('Shift+Space');
    await frame.locator('.grid .row.selected.active').waitFor({ timeout: 10_000 });
    await press('Control+c');
    await frame.locator('.status', { hasText: 'Copied 1 row' }).waitFor({ timeout: 30_000 });
    assert.equal((await page.evaluate(() => navigator.clipboard.readText())).trim(), `id\tname\tscore\tday\n${id}\titem-${id}\t${top}\t${day(Number(id))}`);
    await press('Escape');
    await frame.locator('.grid .row.selected').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it(`at ${NARROW} px keeps the toolbar, header and summaries in view, with only the grid scrolling sideways`, async function () {
    this.timeout(120_000);
    await runCommand(page, 'View: Close Primary Side Bar');
    // Size the browser so the editor (the webview) is NARROW wide, whatever the workbench's chrome.
    const webviewWidth = (): Promise<number> => frame.evaluate(() => window.innerWidth);
    for (let i = 0; i < 3; i++) {
      const width = await webviewWidth();
      if (Math.abs(width - NARROW) <= 4) break;
      const viewport = page.viewportSize()!;
      await page.setViewportSize({ width: viewport.width + NARROW - width, height: 760 });
      // The workbench lays the editor out again on a later frame: wait for the webview's new width.
      await eventually('the webview to take the new size', webviewWidth, (w) => w !== width, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    const width = await webviewWidth();
    assert.ok(Math.abs(width - NARROW) <= 4, `the editor is ${width} px wide`);

    // No named functions inside evaluate: tsx would wrap them in a helper the page lacks.
    const layout = () =>
      frame.evaluate(() => {
        const selectors = ['.toolbar .title', '.toolbar .facts', 'input.jump', 'select.code', 'button[aria-pressed]', '.chips', '.grid', '.colhead', '.side'];
        const grid = document.querySelector<HTMLElement>('.grid')!;
        const boxes: Record<string, { left: number; right: number; top: number; bottom: number; height: number } | undefined> = {};
        for (const selector of selectors) {
          const el = document.querySelector<HTMLElement>(selector);
          const r = el && !el.hidden && el.getClientRects().length > 0 ? el.getBoundingClientRect() : undefined;
          boxes[selector] = r && { left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height };
        }
        return {
          width: window.innerWidth,
          height: window.innerHeight,
          pageWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
          gridScrolls: grid.scrollWidth > grid.clientWidth,
          boxes,
          pressed: document.querySelector('button[aria-pressed]')?.getAttribute('aria-pressed'),
        };
      });
    const within = (seen: Awaited<ReturnType<typeof layout>>, selectors: readonly string[]): void => {
      assert.ok(seen.pageWidth <= seen.width + 1, `the page is ${seen.pageWidth} px wide in ${seen.width}`);
      for (const s of selectors) {
        const b = seen.boxes[s];
        assert.ok(b, `${s} is shown`);
        assert.ok(b.left >= -1 && b.right <= seen.width + 1, `${s} fits across: ${b.left}..${b.right} of ${seen.width}`);
        assert.ok(b.top >= -1 && b.bottom <= seen.height + 1, `${s} fits down: ${b.top}..${b.bottom} of ${seen.height}`);
      }
    };
    // The narrow layout (summaries collapsed) follows the resize on the page's next frame.
    let seen = await eventually('the narrow layout, summaries collapsed', layout, (l) => l.boxes['.side'] === undefined && l.pressed === 'false');
    within(seen, ['.toolbar .title', '.toolbar .facts', 'input.jump', 'select.code', 'button[aria-pressed]', '.chips', '.grid', '.colhead']);
    assert.ok(seen.gridScrolls, 'the grid scrolls sideways (four columns do not fit)');
    assert.ok(seen.boxes['.grid']!.height > 150, `the grid keeps its height: ${seen.boxes['.grid']!.height}`);
    // The summaries collapse behind their toggle; shown, they go under the grid.
    assert.equal(seen.boxes['.side'], undefined, 'the summaries are collapsed');
    assert.equal(seen.pressed, 'false');
    await frame.locator('.grid').focus();
    for (let i = 0; i < 10 && !(await frame.evaluate(() => document.activeElement?.hasAttribute('aria-pressed'))); i++) await press('Shift+Tab');
    await press('Enter');
    await frame.locator('.side section.card dl').first().waitFor({ timeout: 60_000 });
    seen = await layout();
    within(seen, ['.toolbar .title', 'button[aria-pressed]', '.grid', '.colhead', '.side']);
    assert.equal(seen.pressed, 'true');
    assert.ok(seen.boxes['.side']!.top >= seen.boxes['.grid']!.bottom - 1, 'the summaries are under the grid');
    assert.ok(seen.boxes['.grid']!.height >= 120, `the grid keeps its height: ${seen.boxes['.grid']!.height}`);
    await saveScreenshot(page, 'dataset-narrow');
    // A column's menu fits too.
    await frame.locator('.grid').focus();
    await press('Control+Home');
    await press('ArrowUp');
    await press('Alt+ArrowDown');
    const popover = frame.locator('.popover:not([hidden])');
    await popover.waitFor({ timeout: 10_000 });
    const box = await popover.evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    assert.ok(box.left >= 0 && box.right <= width + 1, `the menu fits: ${box.left}..${box.right}`);
    await press('Escape');
    // Wide again: the summaries come back beside the grid, as they were there.
    await page.setViewportSize({ width: 1400, height: 900 });
    seen = await eventually('the wide layout, summaries beside the grid', layout, (l) => !!l.boxes['.side'] && l.boxes['.side'].left >= l.boxes['.grid']!.right - 1);
    assert.ok(seen.boxes['.side'] && seen.boxes['.side'].left >= seen.boxes['.grid']!.right - 1, 'the summaries are beside the grid');
  });

  it('right-click > Open Folder as Dataset on a folder of shards: one table, the partition folder a column, rows and size in the header', async function () {
    this.timeout(180_000);
    await page.setViewportSize({ width: 1400, height: 900 });
    await explorerContextMenu(page, 'shards', 'Open Folder as Dataset');
    frame = await findWebviewFrame(page, '.toolbar .title >> text=shards/', 60_000);
    await frame.locator('.toolbar .facts', { hasText: /^30 rows · 4 columns · \d/ }).waitFor({ timeout: 60_000 });
    assert.deepEqual(await frame.locator('.colhead .name').allInnerTexts(), ['id', 'label', 'extra', 'split']);
    await eventually('the header notes', () => frame.locator('.status').first().innerText().catch(() => ''), (text) => /Partition column from folder names: split\. Column "extra" only in split=test\/part-00000\.csv\./.test(text));
  });
});
