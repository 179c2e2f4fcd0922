import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { applyCodeAction, openCodeActions } from './support/codeActions';
import { eventually } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

// The sample workspace as `npm run demo` opens it (the profile from scripts/demo-settings.mjs, in
// EXAMPLES_PROFILE; the workspace inside a git clone) in code-server + Chromium: no question about the parent folder's
// git repository, no auto-save, model files shown with the model icon, and the Python code
// actions putting their code after training (Ctrl+.), or asking where when the script does not say.

const BUILD_MODEL = `import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, x):
        return self.linear(x)


def build():
    model = Net()
    model.linear.weight.data.zero_()
    print(model)
    return model
`;

describe('The demo workspace: code actions after training, model icons, no git prompt, no auto-save (code-server)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        writeFileSync(join(workspace, 'build_model.py'), BUILD_MODEL);
        // The demo's workspace lives inside the repository's clone: a git repository in a parent folder.
        execFileSync('git', ['init', '-q', dirname(workspace)]);
      },
    },
    (opened) => void ({ server, page } = opened),
  );

  it('does not ask to open the parent folder\'s git repository (the git extension found it)', async () => {
    const gitLog = (): string => server.channelLog('vscode.git', 'Git');
    for (let i = 0; i < 240 && !/Initial repository scan completed/.test(gitLog()); i++) await page.waitForTimeout(250);
    assert.match(gitLog(), /Initial repository scan completed - repositories \(0\), closed repositories \(0\), parent repositories \(1\)/);
    // The question comes as a toast as the scan ends: give it time to show.
    await page.waitForTimeout(3000);
    const toasts = await page.locator('.notifications-toasts').innerText().catch(() => '');
    assert.doesNotMatch(toasts, /git repositor(y was|ies were) found in the parent folders/i);
    await page.keyboard.press('Control+Shift+P');
    await page.locator('.quick-input-widget input').fill('>Notifications: Show Notifications');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show Notifications' }).first().click();
    const center = page.locator('.notifications-center');
    await center.waitFor({ timeout: 10_000 });
    assert.doesNotMatch(await center.innerText(), /parent folders/i);
    await page.keyboard.press('Escape');
  });

  it('shows model files with the model icon in the explorer (they open in the model viewer)', async () => {
    const explorer = page.locator('.explorer-folders-view');
    if (!(await explorer.isVisible())) await page.locator('.activitybar a[aria-label^="Explorer"]').click();
    const row = (name: string) => explorer.locator('.monaco-list-row', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) });
    if (!(await row('simple_cnn.onnx').isVisible())) await explorer.locator('.monaco-list-row', { hasText: /^models$/ }).click();
    await row('simple_cnn.onnx').waitFor({ timeout: 30_000 });
    const iconOf = (name: string): Promise<{ classes: string; image: string }> =>
      row(name).locator('.monaco-icon-label').evaluate((el) => ({ classes: el.getAttribute('class') ?? '', image: getComputedStyle(el, '::before').backgroundImage }));
    for (const name of ['simple_cnn.onnx', 'tiny_classifier.safetensors', 'churn_pipeline.joblib']) {
      const icon = await iconOf(name);
      assert.match(icon.classes, /ml-engineer-model-lang-file-icon/, name);
      assert.match(icon.image, /model-file-(dark|light)\.svg/, `${name}: ${icon.image}`);
    }
    // A Python file keeps the theme's own icon.
    const python = await iconOf('train.py');
    assert.doesNotMatch(python.image, /model-file/);
    await saveScreenshot(page, 'model-file-icons');
  });

  it('Ctrl+. > Export to ONNX on `model = TinyClassifier()` puts the export after the training loop and the save, at main()\'s indentation; nothing is saved until Ctrl+S', async () => {
    const path = join(server.workspace, 'train.py');
    const before = readFileSync(path, 'utf8');
    const built = before.split('\n').findIndex((l) => l.includes('model = TinyClassifier()')) + 1;
    await openCodeActions(page, 'train.py', built, 'ML Engineer: Export to ONNX (model)');
    await applyCodeAction(page, 'ML Engineer: Export to ONNX (model)');
    // Auto-save is off in the demo (code-server's default saves a second after the edit): the tab
    // shows an unsaved change and the file on disk stays as it was.
    const dirty = page.locator('.tabs-container .tab.active.dirty', { hasText: 'train.py' });
    for (let waited = 0; !(await dirty.isVisible()) && readFileSync(path, 'utf8') === before && waited < 15_000; waited += 200) await page.waitForTimeout(200);
    await page.waitForTimeout(2500);
    assert.equal(readFileSync(path, 'utf8'), before, 'the edit stays unsaved (auto-save would have written it)');
    assert.ok(await dirty.isVisible(), 'the tab shows the unsaved edit');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 15_000;
    while (!readFileSync(path, 'utf8').includes('torch.onnx.export(') && Date.now() < deadline) await page.waitForTimeout(200);
    const text = readFileSync(path, 'utf8');
    // After the try/except that saves the weights, at main()'s indentation, before `if __name__`.
    assert.match(text, /torch\.save\(model\.state_dict\(\), "models\/tiny_classifier\.pt"\)\n {4}# Export model to ONNX with a dynamic batch axis \(ML Engineer\)\.\n {4}example_input = x_train\[:1\]\.to\(next\(model\.parameters\(\)\)\.device\)\n {4}torch\.onnx\.export\(/);
    assert.match(text, / {8}"models\/tiny_classifier\.onnx",\n[\s\S]* {4}\)\n\n\nif __name__ == "__main__":/);
    assert.ok(text.indexOf('torch.onnx.export(') > text.indexOf('for epoch in range(args.epochs)'), 'after the training loop');
    // Nothing inserted between the model and its training (no model.eval() before it).
    const untilLoop = (t: string): string => t.slice(t.indexOf('model = TinyClassifier()'), t.indexOf('for epoch in range'));
    assert.equal(untilLoop(text), untilLoop(before));
    execFileSync('/usr/bin/python3', ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', path]);
    await saveScreenshot(page, 'model-code-action-after-training');
  });

  it('where the script does not show the training, the action asks after which line, showing each, and inserts there', async () => {
    const path = join(server.workspace, 'build_model.py');
    const lines = BUILD_MODEL.split('\n');
    await openCodeActions(page, 'build_model.py', lines.indexOf('    model = Net()') + 1, 'ML Engineer: Export to ONNX (model)…');
    await applyCodeAction(page, 'ML Engineer: Export to ONNX (model)…');
    const pick = page.locator('.quick-input-widget');
    await pick.locator('.quick-input-title', { hasText: 'Export to ONNX: after which line?' }).waitFor({ timeout: 15_000 });
    // Each row: the label, then the line's text as its description (the rows can come after the title).
    const rows = pick.locator('.quick-input-list .monaco-list-row');
    const shownRows = async (): Promise<string[]> => {
      const shown: string[] = [];
      for (const row of await rows.all()) {
        const [label, description] = await Promise.all([row.locator('.label-name').innerText({ timeout: 2_000 }), row.locator('.label-description').innerText({ timeout: 2_000 })]);
        shown.push(`${label.trim()} ${description.trim()}`);
      }
      return shown;
    };
    const printLine = lines.indexOf('    print(model)') + 1;
    const expected = [`After line ${printLine - 2} model = Net()`, `After line ${printLine - 1} model.linear.weight.data.zero_()`, `After line ${printLine} print(model)`];
    assert.deepEqual(await eventually('the three lines to pick from', shownRows, (shown) => shown.length === expected.length, { timeoutMs: 15_000 }), expected);
    await saveScreenshot(page, 'model-code-action-ask');
    await pick.locator('.quick-input-list .monaco-list-row', { hasText: `After line ${printLine}` }).click();
    await page.locator('.tabs-container .tab.active.dirty', { hasText: 'build_model.py' }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 15_000;
    while (!readFileSync(path, 'utf8').includes('torch.onnx.export(') && Date.now() < deadline) await page.waitForTimeout(200);
    const text = readFileSync(path, 'utf8');
    assert.match(text, / {4}print\(model\)\n {4}# Export model to ONNX[^\n]*\n {4}example_input = torch\.randn\(1, 3, 224, 224\)[^\n]*# TODO[^\n]*\n {4}torch\.onnx\.export\(/);
    assert.match(text, /"build_model_model\.onnx"/, 'no save in the script: named after it');
    assert.match(text, /\n {4}\)\n {4}return model\n/);
  });
});
