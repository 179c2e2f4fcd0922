import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { eventually, eventuallyMatches } from '../support/eventually';
import { repoRoot, type CodeServer } from './support/codeServer';
import { findWebviewFrame, pickOurLocalKernel, saveScreenshot } from './support/workbench';
import { useWorkbench } from './support/workbenchFixture';

const NOTEBOOK = 'frames.ipynb';

const CELLS = [
  'import numpy as np, pandas as pd\nframe = pd.DataFrame({"step": range(1000), "loss": [1 / (i + 1) for i in range(1000)], "split": ["train", "test"] * 500})\narr = np.arange(12).reshape(4, 3)',
  'frame["loss"] = 7.5\nframe.loc[0, "split"] = "changed"',
  'arr',
  'print("count", get_ipython().execution_count, len(In))',
];

function codeCell(source: string) {
  return { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) };
}

/** The text of the grid's first row, cell by cell, by column name. */
async function firstRow(grid: Frame, columns: readonly string[]): Promise<string[]> {
  const row = grid.locator('[role=grid] .row[data-row="0"]');
  await row.locator('.cell').first().waitFor({ timeout: 30_000 });
  return Promise.all(columns.map((c) => row.locator(`.cell[data-column="${c}"]`).innerText()));
}

async function waitForFirstRow(grid: Frame, columns: readonly string[], expected: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await firstRow(grid, columns).catch(() => []);
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the grid's first row reads ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
}

/**
 * A pandas DataFrame and a numpy array of a notebook's kernel in the Dataset grid, in real VS Code
 * (code-server) driven in headless Chromium: opened from the Kernels view and from the name under
 * the cursor, refreshed when a cell changes the frame, and the notebook's execution count untouched
 * by the grid's requests.
 */
describe('Kernel data in the Dataset grid (code-server)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: { settings: { 'mlEngineer.python.path': '/usr/bin/python3', 'mlEngineer.gpu.statusBar': false } },
      workspaceSource: join(repoRoot, 'examples'),
      prepare(workspace) {
        const notebook = { cells: CELLS.map(codeCell), metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, nbformat: 4, nbformat_minor: 5 };
        writeFileSync(join(workspace, NOTEBOOK), JSON.stringify(notebook, null, 1));
      },
    },
    (opened) => void ({ server, page } = opened),
  );

  const notebookTab = () => page.locator(`.tabs-container .tab[aria-label="${NOTEBOOK}"]`);
  const cellEditor = (i: number) => page.locator('.notebookOverlay .code-cell-row').nth(i).locator('.monaco-editor');

  it('opens a DataFrame from the Kernels view in the grid', async function () {
    this.timeout(240_000);
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(NOTEBOOK);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: NOTEBOOK }).first().click();
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });
    await pickOurLocalKernel(page, () => server.extensionLog());
    await cellEditor(0).click();
    await page.keyboard.press('Shift+Enter');

    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    const chatHeader = page.locator('.sidebar .pane-header', { hasText: 'Chat' });
    if ((await chatHeader.getAttribute('aria-expanded')) === 'true') await chatHeader.click();
    const kernelsHeader = page.locator('.sidebar .pane-header', { hasText: 'Kernels' });
    if ((await kernelsHeader.getAttribute('aria-expanded')) !== 'true') await kernelsHeader.click();
    const view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Kernels' }) });
    const variable = view.locator('.monaco-list-row[aria-label^="frame pd.DataFrame"]');
    // The notebook's kernel row, expanded (it had no variables, so no twistie, when first drawn).
    const kernel = view.locator(`.monaco-list-row[aria-label^="${NOTEBOOK}"]`);
    await kernel.waitFor({ timeout: 120_000 });
    for (let i = 0; i < 240 && !(await variable.isVisible()); i++) {
      if ((await kernel.getAttribute('aria-expanded')) === 'false') await kernel.locator('.monaco-tl-twistie').click();
      await page.waitForTimeout(500);
    }
    await variable.waitFor({ timeout: 5_000 });
    await variable.hover();
    await variable.locator('a[aria-label="Open in Data Viewer"]').click();

    const grid = await findWebviewFrame(page, '[role=grid] .colhead[data-column="loss"]', 60_000);
    await waitForFirstRow(grid, ['step', 'loss', 'split'], ['0', '1.0', 'train']);
    // The row count comes after the first rows, and the log reaches its file within a flush.
    await eventually("the grid's row count", () => grid.locator('.facts').innerText(), (t) => /1,000/.test(t));
    await eventuallyMatches('the log of the opened frame', () => server.extensionLog(), /data viewer: opened frame \(pandas\) from the kernel of frames\.ipynb/);
    await saveScreenshot(page, 'data-kernel-frame');
  });

  it('refreshes the grid when a cell of the kernel changes the frame', async function () {
    this.timeout(120_000);
    await notebookTab().click();
    await cellEditor(1).click();
    await page.keyboard.press('Shift+Enter');
    await page.locator(`.tabs-container .tab[aria-label="frame (${NOTEBOOK})"]`).click();
    const grid = await findWebviewFrame(page, '[role=grid] .colhead[data-column="loss"]');
    await waitForFirstRow(grid, ['step', 'loss', 'split'], ['0', '7.5', 'changed'], 60_000);
  });

  it('opens the name under the cursor in a notebook cell, and leaves the execution count alone', async function () {
    this.timeout(120_000);
    await notebookTab().click();
    // The cursor on `arr` in the third cell (not run): its editor context menu.
    await cellEditor(2).locator('.view-line', { hasText: 'arr' }).click();
    await page.keyboard.press('End');
    await cellEditor(2).locator('.view-line', { hasText: 'arr' }).click({ button: 'right' });
    await page.locator('.monaco-menu .action-item', { hasText: 'Open in Data Viewer' }).first().click();
    // A click that lands while the menu is still settling only highlights the item: then Enter runs it.
    await page.locator('.context-view.monaco-menu-container').waitFor({ state: 'hidden', timeout: 1000 }).catch(() => page.keyboard.press('Enter'));
    const grid = await findWebviewFrame(page, '[role=grid] .colhead[data-column="2"]', 60_000);
    await waitForFirstRow(grid, ['0', '1', '2'], ['0', '1', '2']);

    // Two cells ran; the grids' many silent requests took no execution count and no history.
    await notebookTab().click();
    await cellEditor(3).click();
    await page.keyboard.press('Shift+Enter');
    const output = await findWebviewFrame(page, 'text=/count \\d+ \\d+/', 60_000);
    assert.match(await output.locator('text=/count \\d+ \\d+/').first().innerText(), /count 3 4/);
  });
});
