import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { eventually } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { explorerContextMenu, findWebviewFrame, runCommand, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * Serving in code-server + Chromium: Serve Locally on examples/models/churn_pipeline.joblib from the
 * explorer (Debian's uvicorn and FastAPI, the profile's Python), the server's status bar item, a
 * load test, a drift report on the traffic it logged, and Stop.
 */
describe('Serving (code-server)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      // A reference like the training data (the load test's sample rows are all zeros: drift).
      prepare: (workspace) => {
        const rows = ['tenure_months,monthly_charges,support_calls,contract_years'];
        for (let i = 0; i < 400; i++) rows.push(`${1 + ((i * 37) % 71)},${(40 + ((i * 13) % 50)).toFixed(2)},${i % 4},${i % 3}`);
        writeFileSync(join(workspace, 'models', 'reference.csv'), rows.join('\n') + '\n');
      },
    },
    (opened) => void ({ server, page } = opened),
  );

  const contextMenu = (name: string, item: string): Promise<void> => explorerContextMenu(page, name, item, 'models');

  async function answerDialog(text: RegExp, button: string): Promise<void> {
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), text);
    await dialog.locator('.monaco-button', { hasText: button }).click();
    // This dialog goes; the next one may open at once, before a poll could see none.
    await page.locator('.monaco-dialog-box', { hasText: text }).waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** Types into the input box that asks `prompt` (waiting for it: the widget is reused from box to box). */
  async function typeInput(value: string, prompt: string): Promise<void> {
    await page.locator('.quick-input-widget', { hasText: prompt }).waitFor({ timeout: 15_000 });
    const input = page.locator('.quick-input-widget input');
    await input.fill(value);
    await page.keyboard.press('Enter');
  }

  it('Serve Locally on a scikit-learn pipeline, Load Test it, a drift report on its request log, then Stop', async () => {
    await contextMenu('churn_pipeline.joblib', 'Serve Locally');
    await answerDialog(/Loading models\/churn_pipeline\.joblib runs code from the classes it pickles/, 'Serve');
    await answerDialog(/write a FastAPI app into deploy\/churn_pipeline-fastapi .*run it on 127\.0\.0\.1/s, 'Write and Serve');
    const serving = page.locator('.notifications-toasts', { hasText: /churn_pipeline-fastapi is serving at http:\/\/127\.0\.0\.1:\d+/ });
    await serving.waitFor({ timeout: 60_000 });
    assert.match(await serving.innerText(), /The sample request answered 200: \{"predictions":\["(churned|stayed)"\]\}/);
    const item = page.locator('.part.statusbar .statusbar-item', { hasText: /churn_pipeline-fastapi :\d+/ });
    await item.waitFor({ timeout: 15_000 });
    const port = Number(/:(\d+)/.exec(await item.innerText())![1]);
    await saveScreenshot(page, 'serve-locally');
    // Without the token the server refuses; it listens on loopback only.
    assert.equal((await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"instances":[]}' })).status, 401);

    await runCommand(page, 'ML Engineer: Load Test Local Model Server…');
    await typeInput('300', 'Requests to send');
    await typeInput('4', 'Requests in flight at once');
    const loaded = page.locator('.notifications-toasts', { hasText: /300\/300 ok at concurrency 4: [\d.]+ requests\/s; mean [\d.]+ ms, p50/ });
    await loaded.waitFor({ timeout: 60_000 });
    // The chart beside the editor: latency over the run and the histogram, drawn by uPlot.
    const chart = await findWebviewFrame(page, 'section.chart canvas');
    assert.match(await chart.locator('.summary').innerText(), /^300\/300 ok at concurrency 4/);
    assert.equal(await chart.locator('section.chart canvas').count(), 2, 'latency over the run and the histogram');
    assert.match(await chart.locator('section.chart h2').nth(1).innerText(), /Latency of the successful requests \([\d.]+ ms bins; p50 [\d.]+ ms, p95 [\d.]+ ms, p99/);
    await saveScreenshot(page, 'serve-load-test');
    // The Deployments view lists the server with its port, uptime, the requests it answered and their p50.
    await runCommand(page, 'ML Engineer: Focus on Deployments View');
    // Its one error is the 401 this test sent without the token, above.
    const row = page.locator('.monaco-list-row', { hasText: 'churn_pipeline-fastapi' }).filter({ hasText: new RegExp(`:${port} · .* · 30\\d req, 1 err · p50 [\\d.]+ ms`) });
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await page.locator('.monaco-list-row', { hasText: /model\s*churn_pipeline\.joblib/ }).waitFor({ timeout: 10_000 });
    // The view is short: its last rows are drawn once scrolled to.
    await page.keyboard.press('End');
    await page.locator('.monaco-list-row', { hasText: /latency\s*p50 [\d.]+ ms · p95 [\d.]+ ms \(30\d requests\)/ }).waitFor({ timeout: 10_000 });
    await saveScreenshot(page, 'deployments-view');
    const log = join(server.workspace, 'deploy', 'churn_pipeline-fastapi', 'logs', 'requests.jsonl');
    assert.ok(existsSync(log));
    // The app's log thread writes the queued rows every 0.2 s: wait for a line per predicted row.
    const logLines = (): number => readFileSync(log, 'utf8').trim().split('\n').length;
    const logged = await eventually('a line per predicted row in the request log', logLines, (n) => n >= 301, { timeoutMs: 15_000 });

    // Traffic from a client of the user's own, with the token copied from the server's menu: 200
    // customers who pay more and call support more than the reference's, the rest alike.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await runCommand(page, 'ML Engineer: Local Model Servers…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Copy the Token' }).click();
    // The pick writes the clipboard through the extension host: wait for it to arrive.
    let token = '';
    for (let i = 0; i < 50 && !token; i++) token = await page.waitForTimeout(200).then(() => page.evaluate(() => navigator.clipboard.readText()));
    assert.match(token, /^\S{16,}$/);
    const shifted = Array.from({ length: 200 }, (_, i) => ({ tenure_months: 1 + ((i * 37) % 71), monthly_charges: 95 + ((i * 13) % 50), support_calls: 4 + (i % 4), contract_years: i % 3 }));
    for (let i = 0; i < shifted.length; i += 50) {
      const reply = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ instances: shifted.slice(i, i + 50) }) });
      assert.equal(reply.status, 200, await reply.text());
    }
    // Drift reads the log as it is: wait for the 200 rows just sent to be in it.
    await eventually('the 200 rows sent in the request log', logLines, (n) => n >= logged + 200, { timeoutMs: 15_000 });

    // Drift on the request log leaves the load test's rows out: the shifted columns drift, the others do not.
    await contextMenu('reference.csv', 'Compare Datasets for Drift…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'request log' }).click();
    const drift = page.locator('.notifications-toasts', { hasText: /Dataset drift: 2 of 4 columns drifted/ });
    await drift.waitFor({ timeout: 60_000 });
    // Change a Column's Statistic…: every statistic that fits the column (a number of 3 values: the
    // per-value tests too, no Z-test), the current one marked; the report is computed again with it.
    await drift.locator('.monaco-button', { hasText: "Change a Column's Statistic…" }).click();
    await page.locator('.quick-input-widget', { hasText: 'The column whose statistic to change' }).waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'contract_years' }).click();
    await page.locator('.quick-input-widget', { hasText: 'The statistic for contract_years' }).waitFor({ timeout: 15_000 });
    const choices = page.locator('.quick-input-widget .monaco-list-row');
    for (let i = 0; i < 50 && (await choices.count()) !== 5; i++) await page.waitForTimeout(200);
    const offered = (await choices.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.deepEqual(offered.map((t) => /^(Kolmogorov-Smirnov|Wasserstein|chi-squared|Jensen-Shannon|PSI)/.exec(t)?.[1]), ['Kolmogorov-Smirnov', 'Wasserstein', 'chi-squared', 'Jensen-Shannon', 'PSI'], offered.join(' | '));
    const marked = choices.filter({ hasText: /current/ });
    assert.equal(await marked.count(), 1, `the statistic in use is marked: ${offered.join(' | ')}`);
    assert.match(await marked.textContent() ?? '', /^\s*chi-squared/);
    await choices.filter({ hasText: 'Jensen-Shannon' }).click();
    // The report view: the verdict, then a row per column, drifted first, each with its statistic and an SVG of both sides.
    await page.locator('.tabs-container .tab', { hasText: 'Drift: requests.jsonl against reference.csv' }).waitFor({ timeout: 30_000 });
    const report = await findWebviewFrame(page, 'section.column svg.histogram rect');
    assert.match(await report.locator('h1').innerText(), /Drift: requests\.jsonl against reference\.csv/);
    assert.match(await report.locator('.verdict').innerText(), /^Dataset drift: 2 of 4 columns drifted \(50%/);
    assert.match(await report.locator('body').innerText(), /current 201 rows\. Load-test rows left out: 300 of the current data/);
    const rows = report.locator('section.column');
    await rows.filter({ hasText: 'contract_years' }).locator('.facts', { hasText: 'statistic: Jensen-Shannon distance' }).waitFor({ timeout: 60_000 });
    assert.equal(await rows.count(), 4);
    // Drifted first: the two shifted columns, then the two that were not.
    const headings = await rows.locator('h2').allInnerTexts();
    assert.deepEqual(headings.map((h) => h.replace(/\s+/g, ' ')).sort(), ['contract_years no drift', 'monthly_charges drifted', 'support_calls drifted', 'tenure_months no drift'], headings.join(' | '));
    assert.match(headings[0] ?? '', /^(monthly_charges|support_calls)\s+drifted$/);
    assert.match(headings[1] ?? '', /^(monthly_charges|support_calls)\s+drifted$/);
    assert.match(await rows.first().locator('.facts').innerText(), /statistic: Kolmogorov-Smirnov\s+value: D = [\d.]+\s+drift at: p < 0\.05\s+p-value: /);
    assert.equal(await report.locator('section.column svg.histogram').count(), 4, 'an SVG histogram per row');
    assert.ok((await rows.first().locator('svg rect.current').count()) > 0 && (await rows.first().locator('svg rect.reference').count()) > 0);
    await saveScreenshot(page, 'drift-report');
    // Export as JSON: code-server's save dialog (the path in the quick input) starts beside the reference.
    await report.getByRole('button', { name: 'Export as JSON' }).click();
    await page.locator('.quick-input-widget', { hasText: 'Export the drift report as JSON' }).waitFor({ timeout: 15_000 });
    // The simple file dialog fills its path in after it shows: wait for it (up to 10 s), then check it.
    const pathInput = page.locator('.quick-input-widget input');
    for (let i = 0; i < 50 && !/drift_requests_vs_reference\.json$/.test(await pathInput.inputValue()); i++) await page.waitForTimeout(200);
    assert.match(await pathInput.inputValue(), /models\/drift_requests_vs_reference\.json$/);
    await page.keyboard.press('Enter');
    await report.locator('.status', { hasText: /^Saved .*drift_requests_vs_reference\.json$/ }).waitFor({ timeout: 15_000 });
    const exported = JSON.parse(readFileSync(join(server.workspace, 'models', 'drift_requests_vs_reference.json'), 'utf8')) as { datasetDrift: boolean; columns: { histogram: { edges?: number[]; reference: number[] } }[] };
    assert.equal(exported.datasetDrift, true);
    assert.equal(exported.columns.length, 4);
    assert.ok(exported.columns.every((c) => c.histogram.edges?.length === c.histogram.reference.length + 1), 'the bins travel with their edges');

    await runCommand(page, 'ML Engineer: Stop Local Model Servers');
    await item.waitFor({ state: 'hidden', timeout: 15_000 });
    // Stop waits for the process to exit; the item hides as it begins.
    for (let i = 0; ; i++) {
      if (await fetch(`http://127.0.0.1:${port}/health`).then(() => false, () => true)) break;
      if (i === 50) assert.fail('the server still answers after Stop');
      await page.waitForTimeout(200);
    }
  });
});
