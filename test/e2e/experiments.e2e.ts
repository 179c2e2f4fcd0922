import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ConsoleMessage, Locator, Page } from 'playwright-core';
import { appendMlflowMetric, writeMlflowRun, writeTensorBoardRun } from '../support/trackingFixtures';
import type { CodeServer } from './support/codeServer';
import { findWebviewFrame, runCommand, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * The Experiments view on the sample workspace (examples/: MLflow mlruns, Lightning CSV, TensorBoard
 * event files, a W&B offline run), in code-server + Chromium: what a person sees and clicks.
 */
describe('Experiments view (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let view: Locator;
  const experimentDir = (workspace = server.workspace): string => join(workspace, 'mlruns', '412570119832766211');
  const LIVE_ID = 'feedc0de0000000000000000000000aa';

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        // A run still training: status RUNNING, two epochs logged so far.
        writeMlflowRun(experimentDir(workspace), '412570119832766211', { id: LIVE_ID, name: 'still-training', status: 1, params: { model: 'mlp', lr: '0.001' }, metrics: { val_loss: [0.7, 0.6] }, start: Date.now() - 30_000 });
        // A TensorBoard run logging the same val_loss as the MLflow runs: the runs table sorts them together.
        writeTensorBoardRun(join(workspace, 'runs', 'tensorboard', 'resnet-small'), { val_loss: [0.62, 0.41, 0.27, 0.25], val_acc: [0.7, 0.8, 0.85, 0.875] });
      },
    },
    (opened) => void ({ server, page } = opened),
  );

  const row = (text: string | RegExp): Locator => view.locator('.monaco-list-row', { hasText: text }).first();

  it('lists the sample workspace runs from MLflow, Lightning, TensorBoard and W&B', async () => {
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await page.locator('.sidebar .pane-header', { hasText: 'Chat' }).click(); // fold the chat: the tree gets the room
    await page.locator('.sidebar .pane-header', { hasText: 'Experiments' }).click();
    view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Experiments' }) });
    for (const text of ['MLflow: mlruns', 'mlp-hidden16', 'baseline-logreg', 'mlp-lr-too-high', 'still-training', 'Lightning CSV: lightning_logs', 'version_0', 'TensorBoard: tensorboard', 'resnet-small', 'W&B: wandb', 'mlp-wide']) {
      await row(text).waitFor({ timeout: 30_000 });
    }
    // The key metric is in the description: the failed run diverged to NaN.
    assert.match(await row('mlp-hidden16').innerText(), /val_loss 0\.311/);
    assert.match(await row('mlp-lr-too-high').innerText(), /val_loss NaN/);
    await saveScreenshot(page, 'experiments-view');
  });

  it('filters by val_loss<0.4: the runs below it from every source, and says why a filter cannot be read', async () => {
    await runCommand(page, 'ML Engineer: Filter Runs…');
    const input = page.locator('.quick-input-widget input');
    await input.fill('val_loss<<0.4');
    // Said while typing, with the column, instead of a tree that silently shows nothing.
    await page.locator('.quick-input-widget .quick-input-message', { hasText: 'Cannot read the filter at column 9: "<<" is not an operator' }).waitFor({ timeout: 10_000 });
    await input.fill('val_loss<0.4');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: 'Cannot read' }).waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await input.press('Enter');
    // Below 0.4: mlp-hidden16 (0.311), version_0 (0.097), resnet-small (0.25); not the NaN run, not 0.46 or 0.6.
    await view.locator('.message', { hasText: '3 of 9 runs match “val_loss<0.4”.' }).waitFor({ timeout: 15_000 });
    for (const shown of ['mlp-hidden16', 'version_0', 'resnet-small']) await row(shown).waitFor();
    // The message row comes first; the tree redraws its rows a moment later.
    for (const hidden of ['baseline-logreg', 'mlp-lr-too-high', 'still-training', 'mlp-wide', 'run_1']) await view.locator('.monaco-list-row', { hasText: hidden }).waitFor({ state: 'detached', timeout: 10_000 });
    await saveScreenshot(page, 'experiments-filter');
    await runCommand(page, 'ML Engineer: Clear Run Filter and Sort');
    await view.locator('.message').waitFor({ state: 'hidden', timeout: 10_000 });
    await row('baseline-logreg').waitFor();
  });

  it('opens the runs table: the filter shared with the tree both ways, sorts by val_loss across MLflow, TensorBoard and Lightning, reveals a run in the tree', async () => {
    // The page runs under the strict CSP of every webview here: anything it is refused is logged.
    const refused: string[] = [];
    const onConsole = (message: ConsoleMessage): void => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text()));
    page.on('console', onConsole);
    await runCommand(page, 'ML Engineer: Open Runs Table');
    const frame = await findWebviewFrame(page, '.grid .body .row');
    assert.match((await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '', /default-src 'none'; script-src 'nonce-[\w-]+';/);
    const names = (): Promise<string[]> => frame.locator('.body .row .cell.name').allInnerTexts();
    const filter = frame.locator('input.filter');
    // The whole text: hasText '9 runs' would also match '3 of 9 runs' (a substring), before the filter changed anything.
    const counted = (text: string): Locator => frame.locator('.count', { hasText: new RegExp(`^${text}$`) });
    await counted('9 runs').waitFor({ timeout: 10_000 });
    // The filter is the tree's: set in the tree, the table follows...
    await runCommand(page, 'ML Engineer: Filter Runs…');
    await page.locator('.quick-input-widget input').fill('model=mlp status:finished');
    await page.locator('.quick-input-widget input').press('Enter');
    await counted('1 of 9 runs').waitFor({ timeout: 10_000 });
    assert.equal(await filter.inputValue(), 'model=mlp status:finished');
    assert.deepEqual(await names(), ['mlp-hidden16']);
    // ...and typed in the table, the tree follows.
    await filter.fill('val_loss<0.4');
    await counted('3 of 9 runs').waitFor({ timeout: 10_000 });
    assert.deepEqual((await names()).sort(), ['mlp-hidden16', 'resnet-small', 'version_0']);
    await view.locator('.message', { hasText: '3 of 9 runs match “val_loss<0.4”.' }).waitFor({ timeout: 10_000 });
    // A filter the table cannot read is said under its input; the rows stay.
    await filter.fill('val_loss<');
    await frame.locator('.filter-error', { hasText: '"<" needs a value on its right' }).waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('.body .row').count(), 3);
    await filter.fill('');
    await filter.press('Enter');
    // The empty filter's answer brings every run and no error (the rows and the error come in one message).
    await counted('9 runs').waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('.filter-error').isHidden(), true);
    await view.locator('.message', { hasText: 'not applied' }).waitFor({ state: 'hidden', timeout: 10_000 });
    // One sort over every source: lowest val_loss first, the diverged run and runs without it last.
    await frame.locator('button.sort[data-column="metric:val_loss"]').click();
    const ascending = await names();
    assert.deepEqual(ascending.slice(0, 6), ['version_0', 'resnet-small', 'mlp-hidden16', 'baseline-logreg', 'still-training', 'mlp-lr-too-high']);
    assert.equal(await frame.locator('.body .row', { hasText: 'mlp-lr-too-high' }).locator('.cell.bad[data-column="metric:val_loss"]').innerText(), 'NaN');
    await frame.locator('button.sort[data-column="metric:val_loss"]').click();
    assert.deepEqual((await names()).slice(0, 6), ['still-training', 'baseline-logreg', 'mlp-hidden16', 'resnet-small', 'version_0', 'mlp-lr-too-high'], 'reversed; NaN still after the numbers');
    assert.equal(await frame.locator('[role="columnheader"][aria-sort="descending"]').count(), 1);
    await frame.locator('button.sort[data-column="metric:val_loss"]').click();
    await saveScreenshot(page, 'experiments-runs-table');
    // A sort on a param column stays on it when a column before it is removed in the picker.
    await frame.locator('details.picker > summary').click();
    const lrBox = frame.locator('details.picker fieldset').nth(1).locator('input[value="lr"]');
    if (!(await lrBox.isChecked())) await lrBox.check();
    await frame.locator('details.picker > summary').click();
    await frame.locator('button.sort[data-column="param:lr"]').click();
    const byLr = await names();
    const lrs = await frame.locator('.body .row .cell[data-column="param:lr"]').allInnerTexts();
    assert.deepEqual(lrs, ['0.001', '0.003', '0.003', '0.003', '0.1', '0.3', '–', '–', '–'], 'MLflow, Lightning and W&B lr as numbers; TensorBoard runs have none');
    assert.equal(byLr[0], 'still-training');
    await frame.locator('details.picker > summary').click();
    await frame.locator('details.picker fieldset').nth(0).locator('input[value="val_acc"]').uncheck();
    await frame.locator('button.sort[data-column="metric:val_acc"]').waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await frame.locator('[role="columnheader"][aria-sort="ascending"] button').getAttribute('data-column'), 'param:lr');
    assert.deepEqual(await names(), byLr);
    await frame.locator('details.picker > summary').click();
    await frame.locator('button.sort[data-column="metric:val_loss"]').click();
    assert.deepEqual((await names()).slice(0, 2), ['version_0', 'resnet-small']);
    // Keyboard: Home, Down, Enter reveal the second row (resnet-small) in the tree.
    await frame.locator('.grid').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await view.locator('.monaco-list-row.selected', { hasText: 'resnet-small' }).waitFor({ timeout: 10_000 });
    // A click reveals too.
    await frame.locator('.body .row', { hasText: 'mlp-hidden16' }).locator('.cell.name').click();
    await view.locator('.monaco-list-row.selected', { hasText: 'mlp-hidden16' }).waitFor({ timeout: 10_000 });
    // Check two runs from two sources and compare them.
    await frame.locator('.body .row', { hasText: 'resnet-small' }).locator('input[type="checkbox"]').check();
    await frame.locator('.body .row', { hasText: 'mlp-hidden16' }).locator('input[type="checkbox"]').check();
    // Nothing was refused while it drew, sorted and scrolled; an inline style (the control) is.
    assert.deepEqual(refused, []);
    await frame.locator('body').evaluate((body) => body.setAttribute('style', 'outline: 1px solid red'));
    for (let i = 0; i < 50 && refused.length === 0; i++) await page.waitForTimeout(100);
    page.off('console', onConsole);
    assert.equal(refused.length, 1, 'the control: an inline style attribute is refused and logged');
    assert.match(refused[0]!, /inline style/);
    await frame.locator('button.compare', { hasText: 'Compare 2' }).click();
    const compare = await findWebviewFrame(page, 'table.summary tr[data-metric="val_loss"]');
    assert.deepEqual((await compare.locator('ul.runs li').allInnerTexts()).map((t) => t.split(' ')[0]), ['resnet-small', 'mlp-hidden16']);
  });

  it('compares two runs: a summary of last and best values, only the param cells that differ marked', async () => {
    if (!(await view.isVisible())) await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await row('mlp-hidden16').click();
    await row('baseline-logreg').click({ modifiers: ['Control'] });
    await runCommand(page, 'ML Engineer: Compare Runs');
    const frame = await findWebviewFrame(page, 'ul.runs li:nth-child(2) >> text=baseline-logreg');
    const chart = frame.locator('section.chart[data-metric="val_loss"]');
    await chart.locator('canvas').waitFor();
    assert.equal(await chart.getAttribute('data-series'), '2');
    assert.equal(await frame.locator('ul.runs li').count(), 2);
    // The summary: last and best of each metric per run; val_loss is lower-is-better, the best run starred.
    const loss = frame.locator('table.summary tr[data-metric="val_loss"]');
    assert.deepEqual(await loss.locator('td').allInnerTexts(), ['0.311 @19 ★', '0.3034 @18 ★', '0.4594 @19', '0.4482 @16']);
    assert.match(await loss.locator('th').getAttribute('title') ?? '', /lower is better/);
    const acc = frame.locator('table.summary tr[data-metric="val_acc"]');
    assert.deepEqual(await acc.locator('td').allInnerTexts(), ['0.8772 @19 ★', '0.8772 @19 ★', '0.7768 @19', '0.7903 @18'], 'accuracy: higher is better');
    // Params: lr and model differ; dropout and hidden are missing in baseline-logreg, which is no difference.
    const differing = await frame.locator('table.params tbody tr.differs td:first-child').allInnerTexts();
    assert.deepEqual(differing.sort(), ['lr', 'model']);
    assert.equal(await frame.locator('table.params td.differs').count(), 4, 'only the value cells of lr and model');
    // Log scale and smoothing redraw without losing a curve.
    await frame.locator('input[aria-label="Log scale"]').check();
    await frame.locator('section.chart[data-metric="val_loss"] canvas').waitFor();
    assert.equal(await frame.locator('section.chart[data-metric="val_loss"]').getAttribute('data-series'), '2');
    await frame.locator('input[aria-label="Log scale"]').uncheck();
    await saveScreenshot(page, 'experiments-compare');
  });

  it('shows one diverged run: where its curve stops at NaN, whole-number step ticks, all its params', async () => {
    if (!(await view.isVisible())) await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await row('mlp-lr-too-high').click();
    await runCommand(page, 'ML Engineer: Compare Runs');
    const frame = await findWebviewFrame(page, 'ul.runs li >> text=mlp-lr-too-high');
    const chart = frame.locator('section.chart[data-metric="val_loss"]');
    await chart.locator('canvas').waitFor();
    assert.equal(await chart.getAttribute('data-stops'), '1');
    assert.equal(await chart.locator('ul.stops li').innerText(), 'mlp-lr-too-high stops: NaN at step 10; last finite value 9.1 at step 9');
    assert.deepEqual(await frame.locator('table.summary tr[data-metric="val_loss"] td').allInnerTexts(), ['NaN @10', '0.5726 @5']);
    const ticks = (await chart.getAttribute('data-x-ticks'))!.split(',').map(Number);
    assert.ok(ticks.length >= 2 && ticks.every((t) => Number.isInteger(t)), `step ticks are whole numbers: ${ticks.join(', ')}`);
    // One run has nothing to differ from: every param is listed, no "No params differ".
    assert.equal(await frame.locator('table.params tbody tr').count(), 6);
    assert.equal(await frame.locator('text=No params differ').count(), 0);
    await saveScreenshot(page, 'experiments-diverged');
  });

  it('updates a running run within seconds when a metric line is appended', async () => {
    // The compare panel took the editor area; the sidebar with the tree is still open beside it.
    if (!(await view.isVisible())) await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await row('still-training').waitFor();
    assert.match(await row('still-training').innerText(), /val_loss 0\.6/);
    appendMlflowMetric(join(experimentDir(), LIVE_ID), 'val_loss', 0.4321, 2);
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('.sidebar .monaco-list-row')).some((r) => /still-training/.test(r.textContent ?? '') && /val_loss 0\.4321/.test(r.textContent ?? '')),
      undefined,
      { timeout: 15_000 },
    );
  });
});
