import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { LOGGED_ONNX_RUNS, writeFileStoreRegistry, writeLoggedOnnxModels } from '../support/registryFixtures';
import { findWebviewFrame, rowContextMenu, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * Compare Models started from the model registry (#18): in the Experiments view, two versions of a
 * registered model selected, right-click > Compare Models, structure and outputs only. The report
 * names each side by its version ("tiny-classifier v1 (model.onnx)"), not by a file name both share.
 * The registry is a FileStore laid out as MLflow writes it (test/support/registryFixtures.ts); each
 * version's run holds an MLmodel MLflow wrote and an ONNX file from the corpus.
 */
describe('Compare Models from the registry tree (code-server)', function () {
  let page: Page;
  let view: Locator;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        writeLoggedOnnxModels(workspace);
        writeFileStoreRegistry(join(workspace, 'mlruns'), [
          { name: 'tiny-classifier', aliases: { champion: 2 }, versions: [{ version: 1, runId: LOGGED_ONNX_RUNS[0] }, { version: 2, runId: LOGGED_ONNX_RUNS[1] }] },
        ]);
      },
    },
    (opened) => void ({ page } = opened),
  );

  const row = (text: string | RegExp): Locator => view.locator('.monaco-list-row', { hasText: text }).first();

  it('two versions selected > Compare Models: the report compares their files under the versions\' names', async () => {
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await page.locator('.sidebar .pane-header', { hasText: 'Chat' }).click();
    await page.locator('.sidebar .pane-header', { hasText: 'Experiments' }).click();
    view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Experiments' }) });
    await row('Models').waitFor({ timeout: 30_000 });
    await row('Models').click();
    await row(/tiny-classifier.*2 versions/).waitFor({ timeout: 15_000 });
    await row(/tiny-classifier.*versions/).click();
    await row(/^v2/).waitFor({ timeout: 15_000 });
    // Selected with Ctrl+click, which changes the selection without opening a row (a plain click on a version
    // opens its run in the tree, moving the selection there): v2 and v1 added, the model's row taken out.
    const selected = (text: RegExp): Locator => view.locator('.monaco-list-row.selected', { hasText: text }).first();
    await selected(/tiny-classifier/).waitFor({ timeout: 10_000 });
    await row(/^v2/).click({ modifiers: ['Control'] });
    await selected(/^v2/).waitFor({ timeout: 10_000 });
    await row(/^v1/).click({ modifiers: ['Control'] });
    await selected(/^v1/).waitFor({ timeout: 10_000 });
    await row(/tiny-classifier.*versions/).click({ modifiers: ['Control'] });
    await selected(/tiny-classifier/).waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await view.locator('.monaco-list-row.selected').count(), 2, 'v1 and v2 only');
    await rowContextMenu(page, () => Promise.resolve(row(/^v2/)), 'Compare Models');

    // Compare Models asks how; structure, outputs and the benchmark need no dataset.
    const how = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Structure and outputs only' }).first();
    await how.waitFor({ timeout: 15_000 });
    await how.click();
    const report = await findWebviewFrame(page, 'h2:has-text("Benchmark, side by side")', 120_000);
    // Each side named by its registry version, in the report's title line and its tables.
    await report.locator('body', { hasText: /tiny-classifier v1 \(model\.onnx\) vs tiny-classifier v2 \(model\.onnx\)|tiny-classifier v2 \(model\.onnx\) vs tiny-classifier v1 \(model\.onnx\)/ }).waitFor({ timeout: 30_000 });
    const body = await report.locator('body').innerText();
    assert.match(body, /Same inputs and outputs/);
    // The same file under both versions: outputs equal on the same sample inputs, and each side benchmarked.
    const mean = body.split('\n').find((line) => /^mean\b/.test(line.trim())) ?? '';
    assert.equal(mean.match(/\d[\d.e+-]* ms/g)?.length, 2, body.slice(0, 3000));
    await saveScreenshot(page, 'compare-from-registry');
  });
});
