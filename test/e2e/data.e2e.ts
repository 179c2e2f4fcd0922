import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { eventually } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { explorerContextMenu, findWebviewFrame, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

// A 1 GB CSV in the Dataset viewer, in code-server + Chromium: the grid scrolls to the last of 10
// million rows, sorts and filters them in the engine, summarises columns and copies code.

const BLOCK = 50_000;
const BLOCKS = 200;
const ROWS = BLOCK * BLOCKS;
const LABELS = ['cat', 'dog', 'bird'];
const DAYS = Array.from({ length: 365 }, (_, d) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10));
const NOTE = 'x'.repeat(76);
/** Row k of every block of BLOCK rows (ids differ: 10000001 + row number, always 8 digits). */
const label = (k: number): string => LABELS[k % 3]!;
const xOf = (k: number): number => ((k * 7919) % 100_000) / 1000;

/**
 * Writes 10M rows, 1.08 GB, in a few seconds: one block of rows built once as bytes, written 200
 * times with its fixed-width ids rewritten in place.
 */
function writeBigCsv(path: string): number {
  let text = '';
  const offsets = new Int32Array(BLOCK);
  for (let k = 0; k < BLOCK; k++) {
    offsets[k] = text.length; // ASCII: characters are bytes
    text += `00000000,${label(k)},${xOf(k)},${DAYS[k % 365]},${NOTE}\n`;
  }
  const block = Buffer.from(text, 'latin1');
  const fd = openSync(path, 'w');
  let bytes = writeSync(fd, 'id,label,x,day,note\n');
  try {
    for (let b = 0; b < BLOCKS; b++) {
      for (let k = 0; k < BLOCK; k++) {
        let id = 10_000_000 + b * BLOCK + k + 1;
        for (let p = offsets[k]! + 7; p >= offsets[k]!; p--) {
          block[p] = 48 + (id % 10);
          id = Math.floor(id / 10);
        }
      }
      bytes += writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

describe('Dataset viewer (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let frame: Frame;
  let csv: string;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        csv = join(workspace, 'big.csv');
        const started = Date.now();
        const bytes = writeBigCsv(csv);
        console.log(`      wrote ${csv}: ${bytes} bytes, ${ROWS} rows in ${Date.now() - started} ms`);
        assert.ok(bytes > 1024 ** 3, `${bytes} bytes`);
        // The test split: two rows of the big file (leakage) and one of its own, with a column the big one lacks.
        writeFileSync(join(workspace, 'test.csv'), `id,label,x,day,note,extra\n10000001,${label(0)},${xOf(0)},${DAYS[0]},${NOTE},1\n10000002,${label(1)},${xOf(1)},${DAYS[1]},${NOTE},2\n99999999,cat,1.5,2025-01-01,new,3\n`);
      },
    },
    async (opened) => {
      ({ server, page } = opened);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    },
  );

  // The 1 GB file goes with the suite, not with the shared server.
  after(() => {
    if (csv) rmSync(csv, { force: true });
  });

  const contextMenu = (name: string, item: string): Promise<void> => explorerContextMenu(page, name, item);

  /** Polls the texts of `selector`'s first match until they are `expected` (the grid redraws its rows as pages arrive). */
  async function waitForTexts(selector: string, expected: readonly string[], timeout = 60_000): Promise<void> {
    const deadline = Date.now() + timeout;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = await frame.locator(selector).first().locator('.gutter, .cell').allInnerTexts().catch(() => []);
      if (JSON.stringify(seen) === JSON.stringify(expected)) return;
      await page.waitForTimeout(250);
    }
    assert.deepEqual(seen, expected, selector);
  }

  async function waitForFacts(pattern: RegExp, timeout = 240_000): Promise<void> {
    await frame.locator('.facts', { hasText: pattern }).waitFor({ timeout });
  }

  it('right-click > Open as Dataset on a 1 GB CSV shows its first rows, types, row count and size', async function () {
    this.timeout(300_000);
    await contextMenu('big.csv', 'Open as Dataset');
    frame = await findWebviewFrame(page, '.grid', 60_000);
    // The first rows and the columns are drawn at once (the engine loads and counts the file
    // meanwhile: test/unit/dataSession.test.ts and the engine's quickInfo test hold the order); x is a
    // DOUBLE, so its whole 0 reads 0.0, as pandas prints it.
    await waitForTexts('.grid .row', ['1', '10000001', 'cat', '0.0', '2024-01-01', NOTE], 60_000);
    assert.deepEqual(await frame.locator('.colhead .name').allInnerTexts(), ['id', 'label', 'x', 'day', 'note']);
    assert.deepEqual(await frame.locator('.colhead .type').allInnerTexts(), ['BIGINT', 'VARCHAR', 'DOUBLE', 'DATE', 'VARCHAR']);
    await waitForFacts(/^10,000,000 rows · 5 columns · 1\.0 GB$/);
  });

  it('scrolls to the last row (Ctrl+End) with only the rows in view in the page', async function () {
    this.timeout(120_000);
    await frame.locator('.grid').focus();
    await frame.locator('.grid').press('Control+End');
    const k = (ROWS - 1) % BLOCK;
    await waitForTexts('.grid .row.active:not(.loading)', ['10000000', '20000000', label(k), String(xOf(k)), DAYS[k % 365]!, NOTE]);
    const drawn = await frame.locator('.grid .row').count();
    assert.ok(drawn > 5 && drawn < 80, `${drawn} rows in the page`);
    // Jump to a row by number, and back to the top with Ctrl+Home.
    await frame.locator('input.jump').fill('5,000,001');
    await frame.locator('input.jump').press('Enter');
    await frame.locator('.grid .row.active:not(.loading) .gutter', { hasText: /^5000001$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await frame.locator('.grid .row.active .cell').first().innerText(), '15000001');
    await frame.locator('.grid').press('Control+Home');
    await frame.locator('.grid .row.active:not(.loading) .gutter', { hasText: /^1$/ }).waitFor({ timeout: 30_000 });
  });

  it('sorts every row by a header click (twice: descending), then by a second column with Shift+click', async function () {
    this.timeout(300_000);
    const maxX = Math.max(...Array.from({ length: BLOCK }, (_, k) => xOf(k)));
    await frame.locator('.colhead[data-column="x"] .name').click();
    await frame.locator('.colhead[data-column="x"][aria-sort="ascending"]').waitFor({ timeout: 30_000 });
    await frame.locator('.colhead[data-column="x"] .name').click();
    await frame.locator('.colhead[data-column="x"][aria-sort="descending"]').waitFor({ timeout: 30_000 });
    await frame.locator(`.grid .row:not(.loading) .cell[data-column="x"]`, { hasText: new RegExp(`^${maxX}$`) }).first().waitFor({ timeout: 240_000 });
    // Ties (x repeats every block) then by id descending: the last block's row first.
    await frame.locator('.colhead[data-column="id"] .name').click({ modifiers: ['Shift'] });
    await frame.locator('.colhead[data-column="id"] .name').click({ modifiers: ['Shift'] });
    await frame.locator('.colhead[data-column="id"][aria-sort="descending"]').waitFor({ timeout: 30_000 });
    const kMax = Array.from({ length: BLOCK }, (_, k) => k).find((k) => xOf(k) === maxX)!;
    await frame.locator('.grid .row:not(.loading)').first().locator('.cell[data-column="id"]', { hasText: String(10_000_000 + (BLOCKS - 1) * BLOCK + kMax + 1) }).waitFor({ timeout: 240_000 });
    assert.match(await frame.locator('.chips').innerText(), /▼ x[\s\S]*▼ id/);
  });

  it('filters every row (label = bird) and summarises the columns in view for the filtered rows', async function () {
    this.timeout(300_000);
    await frame.locator('.colhead[data-column="label"] .menu').click();
    await frame.locator('.popover select').selectOption('equals');
    await frame.locator('.popover input').first().fill('bird');
    await frame.locator('.popover button', { hasText: 'Apply filter' }).click();
    const birds = Array.from({ length: BLOCK }, (_, k) => k).filter((k) => label(k) === 'bird').length * BLOCKS;
    await waitForFacts(new RegExp(`^${birds.toLocaleString('en-US')} of 10,000,000 rows`));
    // The grid drops the unfiltered rows on its next frame, and the filtered ones arrive as pages: wait for them.
    const firstLabel = frame.locator('.grid .row:not(.loading)').first().locator('.cell[data-column="label"]');
    await eventually('the first filtered row to be a bird', () => firstLabel.innerText({ timeout: 5_000 }), (t) => t === 'bird', { timeoutMs: 120_000 });
    const card = frame.locator('section.card[data-column="label"]');
    await card.locator('dl').waitFor({ timeout: 240_000 });
    // A summary of the rows before the filter could still be drawn: wait for the filtered count.
    const rows = new RegExp(`Rows\\s+${birds.toLocaleString('en-US')}`);
    const text = await eventually('the label summary of the filtered rows', () => card.innerText(), (t) => rows.test(t), { timeoutMs: 240_000 });
    assert.match(text, /Nulls\s+0 \(0%\)|Nulls\s+0 \(0\.0%\)/);
    assert.match(text, /Distinct\s+≈?1\b/);
    assert.match(text, /bird/);
    const x = frame.locator('section.card[data-column="x"]');
    await x.locator('dl').waitFor({ timeout: 240_000 });
    assert.match(await x.innerText(), /Min\s+\S+[\s\S]*Max\s+\S+[\s\S]*Mean/);
    assert.ok((await x.locator('svg.sparkline rect').count()) > 0, 'a histogram');
    await saveScreenshot(page, 'dataset-viewer');
  });

  it('copies a cell with Ctrl+C (the host writes the clipboard)', async function () {
    this.timeout(60_000);
    await page.evaluate(() => navigator.clipboard.writeText('clipboard before'));
    const cell = frame.locator('.grid .row').first().locator('.cell[data-column="id"]');
    const id = await cell.innerText();
    await cell.click();
    await frame.locator('.grid').press('Control+c');
    await frame.locator('.status', { hasText: 'Copied the cell' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), id);
  });

  it('Copy as Code puts pandas code for this view (file, filter, sort) on the clipboard', async function () {
    this.timeout(60_000);
    await frame.locator('select.code').selectOption('pandas');
    await frame.locator('.status', { hasText: /Copied the pandas code/ }).waitFor({ timeout: 30_000 });
    const code = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(code, /import pandas as pd/);
    assert.match(code, /big\.csv/);
    assert.match(code, /bird/);
    assert.match(code, /sort_values/);
  });

  it('Compare with… a second file shows the column only there and the rows both have on their features (leakage)', async function () {
    this.timeout(300_000);
    await frame.locator('button.compare').click();
    // The workspace's data files in a list, the file's own folder first: type to filter, Enter picks.
    const picker = page.locator('.quick-input-widget', { hasText: 'Compare big.csv with…' });
    const input = picker.locator('input');
    await input.waitFor({ timeout: 30_000 });
    const rows = picker.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Browse…' }).waitFor({ timeout: 30_000 });
    assert.ok(!(await rows.allInnerTexts()).some((row) => /^big\.csv/.test(row)), 'the file open here is not offered');
    await input.fill('test.csv');
    await picker.locator('.quick-input-list .monaco-list-row.focused', { hasText: /^test\.csv/ }).waitFor({ timeout: 30_000 });
    await input.press('Enter');
    const card = frame.locator('section.card.comparison');
    await card.waitFor({ timeout: 240_000 });
    const text = await card.innerText();
    assert.match(text, /Compared with test\.csv/);
    assert.match(text, /Columns only there\s+extra \(BIGINT\)/);
    // The id differs on every row of both files: left out of the row key, so the big file's 200 copies of each feature row count.
    assert.match(text, /id left out of the row key: unique on every row of both files/);
    assert.match(text, /2 distinct rows are in both files \(400 rows here, 2 there: 66\.7% of test\.csv, over 4 shared columns\)/);
    // Compared again with the id in the key (the same file, no picker): only the two rows with their own ids.
    await card.locator('button.recompare').click();
    await card.filter({ hasText: 'over 5 shared columns' }).waitFor({ timeout: 240_000 });
    assert.match(await card.innerText(), /2 distinct rows are in both files \(2 rows here, 2 there: 66\.7% of test\.csv, over 5 shared columns\)/);
    await saveScreenshot(page, 'dataset-compare');
  });
});
