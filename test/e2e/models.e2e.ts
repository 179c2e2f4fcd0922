import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { openCodeActions, applyCodeAction } from './support/codeActions';
import { eventuallyMatches } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { writeNegativeLengthOnnx } from '../support/hostileModels';
import { explorerContextMenu, findWebviewFrame, runCommand, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/** Model files in code-server + Chromium (examples/models): the model viewer, and Deploy from the explorer. */
describe('Models (code-server)', function () {
  let server: CodeServer;
  let page: Page;

  // The profile has Debian's Python (scikit-learn, scripts/ensure-prerequisites.sh test, but not
  // skl2onnx) and gives model readers 6 s (not 20): the hostile file's test waits for the budget to run out.
  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      // 4 KB: a field with a negative length sends an ONNX walk back to the start of the file, forever.
      prepare: (workspace) => writeNegativeLengthOnnx(join(workspace, 'models', 'hostile.onnx')),
    },
    (opened) => void ({ server, page } = opened),
  );

  const contextMenu = (name: string, item: string): Promise<void> => explorerContextMenu(page, name, item, 'models');

  it('right-click > Inspect Model on an ONNX file opens the model viewer: summary, inputs and outputs, operators', async () => {
    await contextMenu('simple_cnn.onnx', 'Inspect Model');
    const frame = await findWebviewFrame(page, 'table[aria-label="Inputs and outputs"]');
    const io = await frame.locator('table[aria-label="Inputs and outputs"] tbody tr').allInnerTexts();
    assert.deepEqual(io.map((r) => r.replace(/\s+/g, ' ').trim()), ['input x float32 [batch_size, 3, 32, 32]', 'output linear float32 [batch_size, 10]']);
    const summary = await frame.locator('table[aria-label="Summary"]').innerText();
    assert.match(summary, /IR version\s+10/);
    assert.match(summary, /Producer\s+pytorch/);
    assert.match(summary, /Opsets\s+ai\.onnx 20/);
    const ops = await frame.locator('section[aria-label="Operators"] .bar .op').allInnerTexts();
    assert.deepEqual(ops, ['Conv', 'MaxPool', 'Relu', 'Gemm', 'Reshape']);
    assert.match(await frame.locator('table[aria-label="External data"]').innerText(), /simple_cnn\.onnx\.data/);
    await saveScreenshot(page, 'model-viewer');
  });

  it('a scikit-learn pipeline (.joblib) opens in the viewer without being unpickled; Export says what the Python lacks', async () => {
    await contextMenu('churn_pipeline.joblib', 'Inspect Model');
    const frame = await findWebviewFrame(page, 'table[aria-label="Summary"]:has-text("sklearn.pipeline")');
    const summary = await frame.locator('table[aria-label="Summary"]').innerText();
    assert.match(summary, /Contents\s+Pipeline \(sklearn\.pipeline\)/);
    assert.match(summary, /Steps\s+standardscaler: StandardScaler → logisticregression: LogisticRegression/);
    assert.match(summary, /Feature names\s+tenure_months, monthly_charges, support_calls, contract_years/);
    assert.match(summary, /Classes\s+2: churned, stayed/);
    assert.match(await frame.locator('table[aria-label="Hyperparameters"]').innerText(), /logisticregression__C\s+●0\.5\s+1\n/);
    assert.match(await frame.locator('[aria-label="Warnings"]').innerText(), /joblib\.load \/ pickle\.load runs their code/);
    await saveScreenshot(page, 'model-sklearn');
    await contextMenu('churn_pipeline.joblib', 'Export Model…');
    const toast = page.locator('.notifications-toasts', { hasText: 'skl2onnx is not installed in /usr/bin/python3' });
    await toast.waitFor({ timeout: 60_000 });
    assert.match(await toast.innerText(), /python3 -m pip install skl2onnx onnxruntime/);
    assert.equal(await toast.locator('.monaco-button', { hasText: 'Choose Python' }).count(), 1, 'the way to pick another Python');
    assert.equal(existsSync(join(server.workspace, 'models', 'churn_pipeline.onnx')), false);
    await page.keyboard.press('Escape');
  });

  it('Export Model… on a TorchScript archive asks before torch.jit.load runs its code; Cancel loads and writes nothing', async () => {
    // A real TorchScript archive, written by torch into the workspace the window has open.
    execFileSync('/usr/bin/python3', ['-c', 'import sys, torch\ntorch.jit.trace(torch.nn.Linear(4, 2).eval(), torch.randn(1, 4)).save(sys.argv[1])', join(server.workspace, 'models', 'scripted.pt')]);
    // The explorer shows a new file after its watcher fires: wait for it, so that contextMenu does not
    // click the (expanded) models folder shut while the row is still missing.
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^scripted\.pt$/ }).waitFor({ timeout: 15_000 }).catch(() => undefined);
    await contextMenu('scripted.pt', 'Export Model…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'ONNX' }).click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill('1, 4');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /Loading models\/scripted\.pt \(TorchScript\) with torch\.jit\.load runs the code it holds and unpickles its constants\. Export only files you trust\./);
    await saveScreenshot(page, 'model-export-torchscript-ask');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await page.waitForTimeout(2000);
    assert.equal(existsSync(join(server.workspace, 'models', 'scripted.onnx')), false, 'nothing exported');
    assert.doesNotMatch(server.extensionLog(), /exported .*scripted\.pt/);
  });

  it('right-click > Deploy Model… > Triton writes a model repository whose config matches the model', async () => {
    await contextMenu('simple_cnn.onnx', 'Deploy Model…');
    const quickPick = page.locator('.quick-input-widget');
    await quickPick.locator('.monaco-list-row', { hasText: 'Triton' }).click();
    await quickPick.locator('.monaco-list-row', { hasText: 'deploy/simple_cnn-triton' }).click();
    // The config opens in an editor once written.
    await page.locator('.tabs-container .tab', { hasText: 'config.pbtxt' }).waitFor({ timeout: 30_000 });
    await page.locator('.notifications-toasts', { hasText: 'Wrote the Triton deployment of simple_cnn' }).waitFor({ timeout: 15_000 });
    const repo = join(server.workspace, 'deploy', 'simple_cnn-triton');
    const config = readFileSync(join(repo, 'simple_cnn', 'config.pbtxt'), 'utf8');
    assert.match(config, /platform: "onnxruntime_onnx"/);
    assert.match(config, /max_batch_size: 8/);
    assert.match(config, /name: "x"\n {4}data_type: TYPE_FP32\n {4}dims: \[ 3, 32, 32 \]/);
    assert.match(config, /name: "linear"\n {4}data_type: TYPE_FP32\n {4}dims: \[ 10 \]/);
    assert.deepEqual(readdirSync(join(repo, 'simple_cnn', '1')).sort(), ['model.onnx', 'simple_cnn.onnx.data']);
    assert.ok(existsSync(join(repo, 'README.md')));
    // The tab shows before the editor has drawn the file's lines.
    const editorText = () => page.locator('.editor-instance .view-lines').first().innerText({ timeout: 5_000 }).then((t) => t.replace(/\u00a0/g, ' '));
    await eventuallyMatches('the config in the editor', editorText, /platform: "onnxruntime_onnx"/, 15_000);
    await saveScreenshot(page, 'model-deploy-triton');
  });

  it('right-click > Optimize Model…: choices that need a missing package are marked, with its install command; the report opens and stays', async () => {
    await contextMenu('simple_cnn.onnx', 'Optimize Model…');
    // Debian's Python has neither onnxruntime nor onnxconverter-common: both Python tools are
    // still listed, with a warning, the package and the interpreter it is missing from.
    const quickPick = page.locator('.quick-input-widget');
    const row = (label: string): Locator => quickPick.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[()]/g, '\\$&')}$`) }) });
    await row('Dynamic int8').waitFor({ timeout: 30_000 });
    // What runs now comes first; the Python tools are set apart under a heading of their own.
    const list = await quickPick.locator('.monaco-list').innerText();
    // A heading is drawn either as its own row or at the right of its group's first row: either way
    // it comes before the group's second row and after the previous group.
    const at = (t: string): number => list.indexOf(t);
    const [weightOnly, fp16Builtin, dynamic, fp16Python] = ['Weight-only int8', 'fp16 (built in)', 'Dynamic int8', 'fp16 (onnxconverter-common)'].map(at) as [number, number, number, number];
    const ready = at('ready to run');
    const needs = at('needs a Python package: pick to install it');
    assert.ok(weightOnly >= 0 && weightOnly < fp16Builtin && fp16Builtin < dynamic && dynamic < fp16Python, `choices in this order: ${list}`);
    assert.ok(ready >= 0 && ready < fp16Builtin && needs > fp16Builtin && needs < fp16Python, `headings in place: ${list}`);
    for (const [label, pkg] of [['Dynamic int8', 'onnxruntime'], ['fp16 (onnxconverter-common)', 'onnxconverter-common']] as const) {
      assert.match((await row(label).locator('.label-description').innerText()).trim(), new RegExp(`^needs ${pkg} in /usr/bin/python3$`));
      assert.equal(await row(label).locator('.label-description .codicon-warning').count(), 1, `${label}: a warning icon`);
    }
    assert.match((await row('Weight-only int8').locator('.label-description').innerText()).trim(), /^built in, no Python needed$/);
    await saveScreenshot(page, 'model-optimize-choices');
    // Picking one says what to install (to run in a terminal or copy), or uses the built-in rewrite now.
    await row('Dynamic int8').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const text = await dialog.innerText();
    assert.match(text, /Dynamic int8 needs onnxruntime: onnxruntime is not installed in \/usr\/bin\/python3\./);
    assert.match(text, /Install it with:\s+\/usr\/bin\/python3 -m pip install onnxruntime\s+then run Optimize again\./);
    assert.deepEqual((await dialog.locator('.monaco-button').allInnerTexts()).map((t) => t.trim()).sort(), ['Cancel', 'Copy Command', 'Run in Terminal', 'Use Weight-only int8']);
    await saveScreenshot(page, 'model-optimize-missing-package');
    await dialog.locator('.monaco-button', { hasText: 'Use Weight-only int8' }).click();

    // The report opens in the Markdown preview and stays: tool and why, sizes, differences, speed.
    const preview = await findWebviewFrame(page, 'h1:has-text("Optimize: simple_cnn.onnx → simple_cnn.int8.onnx")', 90_000);
    const body = (await preview.locator('body').innerText()).replace(/\u00a0/g, ' ');
    assert.match(body, /Written by\s+ML Engineer's built-in weight-only int8 rewrite \(no Python\)/);
    assert.match(body, /Why this tool\s+onnxruntime is not installed in \/usr\/bin\/python3: Dynamic int8 was picked, and the built-in Weight-only int8 used instead/);
    assert.match(body, /To use the Python tool\s+\/usr\/bin\/python3 -m pip install onnxruntime, then optimize again/);
    assert.match(body, /Size\s+110 KB → 3\d KB \(3\d% of the original\)/);
    assert.match(body, /Largest output difference on the sample inputs: linear \d/);
    assert.match(body, /No speed-up[^\n]*Weight-only int8 stores the weights as int8/);
    const rows = await preview.locator('table').nth(2).locator('tr').allInnerTexts();
    assert.deepEqual(rows.map((r) => r.split('\t')[0]!.trim()), ['', 'mean', 'p50', 'p95', 'p99', 'min', 'throughput', 'measured runs', 'load']);
    assert.match(body, /Runtime: onnxruntime-web 1\.23\.2, WebAssembly, 1 thread, CPU\./);
    await page.locator('.tabs-container .tab', { hasText: 'Preview simple_cnn.int8.report.md' }).waitFor({ timeout: 10_000 });
    const toast = page.locator('.notifications-toasts', { hasText: 'Wrote simple_cnn.int8.onnx with the built-in rewrite' });
    await toast.waitFor({ timeout: 15_000 });
    // Weight-only int8 dequantizes before use: never faster. Measured, it is either within the noise
    // ("no speed-up") or measurably slower (CI once measured 1.11x under load); both say no speed-up.
    assert.match(await toast.innerText(), /110 KB → 3\d KB \(3\d%\), no speed-up( \(slower: \d+\.\d\dx the time\))?\. Report: simple_cnn\.int8\.report\.md\./);
    await saveScreenshot(page, 'model-optimize-report');
    // The same report is on disk beside the model.
    const report = readFileSync(join(server.workspace, 'models', 'simple_cnn.int8.report.md'), 'utf8');
    assert.match(report, /^\| Written by \| ML Engineer's built-in weight-only int8 rewrite \(no Python\) \|$/m);
    assert.ok(existsSync(join(server.workspace, 'models', 'simple_cnn.int8.onnx')));
    await page.keyboard.press('Escape');
  });

  it('Optimize > a choice whose package is missing > Copy Command copies the install command and writes nothing', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await contextMenu('simple_cnn.onnx', 'Optimize Model…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'fp16 (onnxconverter-common)' }).click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    assert.match(await dialog.innerText(), /\/usr\/bin\/python3 -m pip install onnxconverter-common/);
    await dialog.locator('.monaco-button', { hasText: 'Copy Command' }).click();
    await page.locator('.notifications-toasts', { hasText: 'Copied: /usr/bin/python3 -m pip install onnxconverter-common' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), '/usr/bin/python3 -m pip install onnxconverter-common');
    assert.equal(existsSync(join(server.workspace, 'models', 'simple_cnn.fp16.onnx')), false);
    assert.equal(existsSync(join(server.workspace, 'models', 'simple_cnn.fp16.report.md')), false);
  });

  it('right-click > Benchmark Model… warms up, runs until the mean is stable, and shows mean, percentiles and throughput with its basis and runtime', async () => {
    await contextMenu('simple_cnn.onnx', 'Benchmark Model…');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill('2');
    await page.keyboard.press('Enter');
    const toast = page.locator('.notifications-toasts', { hasText: /simple_cnn\.onnx, batch 2: mean/ });
    await toast.waitFor({ timeout: 60_000 });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    const m = /mean ([\d.]+) ms \(±[\d.]+%\), p50 ([\d.]+), p95 ([\d.]+), p99 ([\d.]+), min ([\d.]+) ms over (\d+) runs; (\d+) samples\/s \(batch 2 × runs \/ measured time\); onnxruntime-web 1\.23\.2, WebAssembly, 1 thread, CPU/.exec(text);
    assert.ok(m, text);
    const [mean, p50, p95, p99, min, runs, rate] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
    assert.ok(min <= p50 && p50 <= p95 && p95 <= p99, text);
    assert.ok(runs >= 20, text);
    // Throughput agrees with the mean (2 samples per run), not with the median.
    assert.ok(Math.abs(rate - 2000 / mean) <= 0.01 * rate + 1, `${rate} against ${2000 / mean}`);
    await eventuallyMatches('the throughput formula in the log', () => server.extensionLog(), /Throughput: samples\/s = batch × runs \/ measured time/);
    await saveScreenshot(page, 'model-benchmark');
  });

  /** Opens train.py, puts the cursor on its torch.save( line and opens the code action list (Ctrl+.) until ours show. */
  async function codeActionsOnTorchSave(): Promise<Locator> {
    const saveLine = readFileSync(join(server.workspace, 'train.py'), 'utf8').split('\n').findIndex((l) => l.includes('torch.save(')) + 1;
    return openCodeActions(page, 'train.py', saveLine, 'ML Engineer: Export to ONNX (model)');
  }

  it('a code action on torch.save( inserts an ONNX export that uses the script\'s own names, and the file still compiles', async () => {
    await codeActionsOnTorchSave();
    const path = join(server.workspace, 'train.py');
    await applyCodeAction(page, 'ML Engineer: Export to ONNX (model)');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 15_000;
    while (!readFileSync(path, 'utf8').includes('torch.onnx.export(') && Date.now() < deadline) await page.waitForTimeout(200);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /torch\.save\(model\.state_dict\(\), "models\/tiny_classifier\.pt"\)\n {8}# Export model to ONNX/);
    assert.match(text, /\(example_input,\),\n {12}"models\/tiny_classifier\.onnx"/);
    execFileSync('/usr/bin/python3', ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', path]);
    await saveScreenshot(page, 'model-code-action');
  });

  it('a hostile model file (an endless loop for the reader) shows a clear error, and the extension host keeps answering meanwhile', async () => {
    for (let i = 0; i < 240 && !server.extensionLog().includes('activation {'); i++) await page.waitForTimeout(250);
    await page.keyboard.press('Escape');
    await contextMenu('hostile.onnx', 'Inspect Model');
    await page.locator('.tabs-container .tab.active', { hasText: 'hostile.onnx' }).waitFor({ timeout: 30_000 });
    // The reader works in a worker: a command the extension host must answer still runs (a reader
    // on the host thread would freeze it, and every other extension, for good).
    await runCommand(page, 'ML Engineer: Filter Runs');
    const filter = page.locator('.quick-input-widget', { hasText: 'comparisons on metrics and params' });
    await filter.waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');
    const frame = await findWebviewFrame(page, 'p.error[role="alert"]', 60_000);
    const message = await frame.locator('p.error[role="alert"]').innerText();
    // Stopped at the budget, in words; (a reader that refuses the length itself says so at once).
    if (/could not be read/.test(message)) assert.equal(message, 'hostile.onnx could not be read: the reader took longer than 6 s');
    assert.doesNotMatch(message, /TypeError|RangeError|Maximum call stack|undefined|\[object/);
    assert.ok(message.length > 10, message);
    await saveScreenshot(page, 'model-hostile');
    // The next model opens as before: the stopped worker was replaced.
    await contextMenu('tiny_classifier.safetensors', 'Inspect Model');
    const viewer = await findWebviewFrame(page, 'p.muted:has-text("safetensors")');
    assert.match(await viewer.locator('p.muted').innerText(), /safetensors · .* tensors/);
    assert.doesNotMatch(server.extensionHostLog(), /hostile\.onnx.*(TypeError|RangeError)/);
  });

  it('no "Generate a serving app" where a symbolic link waits for it (VS Code would write through it)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'mle-e2e-outside-'));
    const link = join(server.workspace, 'serve_model.py');
    symlinkSync(join(outside, 'pwned.py'), link); // dangling: looks absent to createFile
    try {
      const list = await codeActionsOnTorchSave();
      const titles = await list.locator('.monaco-list-row').allInnerTexts();
      await saveScreenshot(page, 'model-code-action-symlink');
      await page.keyboard.press('Escape');
      assert.ok(titles.some((t) => t.includes('Quantize (dynamic int8)')), titles.join(' | '));
      assert.ok(!titles.some((t) => t.includes('Generate a serving app')), titles.join(' | '));
      assert.deepEqual(readdirSync(outside), []);
    } finally {
      rmSync(link, { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
