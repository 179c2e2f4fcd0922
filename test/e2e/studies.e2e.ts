import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ConsoleMessage, Locator, Page } from 'playwright-core';
import { startOptunaStudy } from '../support/optunaWriter';
import { LOGGED_ONNX_RUNS, writeFileStoreRegistry, writeLoggedOnnxModels } from '../support/registryFixtures';
import { eventually } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { findWebviewFrame, rowContextMenu, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * Optuna studies and the MLflow model registry in the Experiments view (code-server + Chromium):
 * the sample study (examples/studies/tuning.db, written by the real Optuna), a study the real
 * Optuna runs in another process while the tree and the study view update, and registered models
 * under the sample mlruns/ with a version that links to its run.
 */
describe('Studies and model registry (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let view: Locator;
  let writer: ChildProcess | undefined;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        writeLoggedOnnxModels(workspace); // v1's and v2's logged models, an ONNX file in each
        writeFileStoreRegistry(join(workspace, 'mlruns'), [
          { name: 'tiny-classifier', aliases: { champion: 2 }, versions: [{ version: 1, runId: LOGGED_ONNX_RUNS[0] }, { version: 2, runId: LOGGED_ONNX_RUNS[1] }, { version: 3, runId: 'deadbeefdeadbeefdeadbeefdeadbeef' }] },
        ]);
      },
    },
    (opened) => void ({ server, page } = opened),
  );
  after(() => writer?.kill());

  const row = (text: string | RegExp): Locator => view.locator('.monaco-list-row', { hasText: text }).first();

  it('lists the sample study with its trials by state and best value, and the registry under MLflow', async () => {
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await page.locator('.sidebar .pane-header', { hasText: 'Chat' }).click();
    await page.locator('.sidebar .pane-header', { hasText: 'Experiments' }).click();
    view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Experiments' }) });
    await row('Optuna Studies').waitFor({ timeout: 30_000 });
    await row('tiny-classifier-tuning').waitFor({ timeout: 15_000 });
    assert.match(await row('tiny-classifier-tuning').innerText(), /best 0\.25838 \(#25\) · 22 complete, 7 pruned, 1 failed/);
    await row('Models').click();
    await row(/tiny-classifier.*3 versions/).waitFor({ timeout: 15_000 });
    await row(/tiny-classifier.*versions/).click();
    await row(/^v2/).waitFor();
    assert.match(await row(/^v2/).innerText(), /@champion · run mlp-hidden16/);
    assert.match(await row(/^v3/).innerText(), /run not found/);
    // A version opens its run in the tree.
    await row(/^v2/).click();
    await view.locator('.monaco-list-row.selected', { hasText: 'mlp-hidden16' }).waitFor({ timeout: 10_000 });
  });

  // Promote… on v1, moving @champion from v2: the modal that says what changes.
  const promoteV1 = async (): Promise<Locator> => {
    await rowContextMenu(page, () => Promise.resolve(row(/^v1/)), 'Promote…');
    const pickRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: /@champion.*move from v2 to v1/ }).first();
    await pickRow.waitFor({ timeout: 15_000 });
    await pickRow.click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Promote tiny-classifier v1?' });
    await dialog.waitFor({ timeout: 15_000 });
    return dialog;
  };

  it('Promote… shows what changes against the version holding @champion, and Cancel writes nothing', async () => {
    const dialog = await promoteV1();
    // The dialog collapses runs of spaces; Cancel first, so a failed match leaves no modal over the next tests.
    const text = await dialog.innerText();
    const compareLatency = await dialog.locator('.monaco-button', { hasText: 'Compare Latency' }).count();
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.match(text, /tiny-classifier @champion: v2 → v1/);
    assert.match(text, /⚠ The inputs change: whatever calls v2 today may break on v1\./);
    assert.match(text, /Inputs: CHANGED\s+− test_model_input: double\s+\(v2\)\s+\+ messages: array<object\{content: string, role: string\}>\s+\(v1\)/);
    assert.match(text, /Size: 670 B → 1\.73 KB/, 'MLmodel and model.onnx on disk');
    assert.match(text, /Latency: both are ONNX/);
    assert.equal(compareLatency, 1, 'both ONNX: the modal offers Compare Latency');
    assert.match(text, /Run metrics, v2 → v1:\s+train_loss: 0\.2207 → 0\.4258/);
    assert.equal(readFileSync(join(server.workspace, 'mlruns', 'models', 'tiny-classifier', 'aliases', 'champion'), 'utf8'), '2');
  });

  it('Compare Latency runs and benchmarks both ONNX models, then asks again; Cancel writes nothing', async () => {
    const first = await promoteV1();
    await first.locator('.monaco-button', { hasText: 'Compare Latency' }).click();
    await first.waitFor({ state: 'hidden', timeout: 10_000 });
    // Compare Models asks how to compare; structure, outputs and the benchmark need no dataset.
    const how = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Structure and outputs only' }).first();
    await how.waitFor({ timeout: 15_000 });
    await how.click();
    // Then Promote… asks again, saying where the measurement is; the report shows behind it.
    const again = page.locator('.monaco-dialog-box', { hasText: 'The latency comparison is in the Compare Models report' });
    await again.waitFor({ timeout: 60_000 });
    const buttons = await again.locator('.monaco-button').allInnerTexts();
    await again.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await again.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.deepEqual(buttons.map((b) => b.trim()).sort(), ['Cancel', 'Promote'], 'asked again, without a second Compare Latency');
    const report = await findWebviewFrame(page, 'h2:has-text("Benchmark, side by side")');
    const body = await report.locator('body').innerText();
    assert.match(body, /model\.onnx vs model\.onnx/);
    assert.match(body, /Same inputs and outputs/);
    // The side-by-side benchmark's mean latency, one measured cell per version.
    const mean = body.split('\n').find((line) => /^mean\b/.test(line.trim())) ?? '';
    assert.equal(mean.match(/\d[\d.e+-]* ms/g)?.length, 2, body.slice(0, 3000));
    assert.equal(readFileSync(join(server.workspace, 'mlruns', 'models', 'tiny-classifier', 'aliases', 'champion'), 'utf8'), '2');
  });

  it('shows a study Optuna is running in another process: new and running trials in the tree and the study view', async () => {
    const refused: string[] = [];
    const onConsole = (message: ConsoleMessage): void => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text()));
    page.on('console', onConsole);
    writer = startOptunaStudy(`sqlite:///${join(server.workspace, 'studies', 'live.db')}`, { trials: 12, sleepS: 1.2, name: 'live-search' });
    await row('live-search').waitFor({ timeout: 30_000 });
    await row('live-search').click();
    const frame = await findWebviewFrame(page, 'h1 >> text=Study: live-search');
    assert.match((await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '', /default-src 'none'; script-src 'nonce-[\w-]+';/);
    // A running trial's reports are drawn while it runs; completed trials arrive in the history.
    await frame.locator('[aria-label="Intermediate values"][data-running="1"]').waitFor({ timeout: 20_000 });
    const points = async (): Promise<number> => Number(await frame.locator('[aria-label="Optimization history"]').getAttribute('data-points'));
    const before = await points();
    await eventually(`the history to grow past ${before} points while Optuna runs`, points, (now) => now > before);
    await row(/live-search.*running/).waitFor({ timeout: 10_000 });
    await saveScreenshot(page, 'studies-live');
    page.off('console', onConsole);
    assert.deepEqual(refused, []);
  });

  it('opens the sample study: log axes from the distributions, top-K, the trial table and its run link', async () => {
    // While the live study runs, each poll redraws the tree and a click on a row being redrawn is
    // lost (VS Code drops the old row's command): let Optuna finish and the tree show it first.
    if (writer && writer.exitCode === null) await new Promise((done) => writer!.once('exit', done));
    await row(/live-search.*12 complete/).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_000);
    await row('tiny-classifier-tuning').click();
    const frame = await findWebviewFrame(page, 'h1 >> text=Study: tiny-classifier-tuning');
    const parallel = frame.locator('canvas.parallel');
    assert.equal(await parallel.getAttribute('data-log-axes'), 'lr,hidden');
    assert.equal(await parallel.getAttribute('data-lines'), '22');
    await frame.locator('input[aria-label="Top K trials"]').fill('5');
    await frame.locator('input[aria-label="Top K trials"]').press('Enter');
    await frame.locator('canvas.parallel[data-lines="5"]').waitFor();
    assert.equal(await frame.locator('table.trials tbody tr').count(), 5);
    // Categorical values are shown by their choice.
    assert.match(await frame.locator('table.trials tbody').innerText(), /adam/);
    await frame.locator('input[aria-label="Top K trials"]').fill('0');
    await frame.locator('input[aria-label="Top K trials"]').press('Enter');
    await frame.locator('table.trials th', { hasText: /^number/ }).click();
    await frame.locator('table.trials th', { hasText: /^number/ }).click();
    await frame.locator('button.link').first().click();
    await view.locator('.monaco-list-row.selected', { hasText: 'mlp-hidden16' }).waitFor({ timeout: 10_000 });
    await saveScreenshot(page, 'studies-view');
  });
});
