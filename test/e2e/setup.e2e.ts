import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, type CodeServer } from './support/codeServer';
import { findWebviewFrame, pickOurLocalKernel, runCommand, saveScreenshot } from './support/workbench';
import { useWorkbench } from './support/workbenchFixture';

const NOTEBOOK = 'values.ipynb';

// A cell that leaves what the Kernels view shows: a DataFrame, a tensor and a Sequential (Debian's
// python3-pandas and python3-torch, scripts/ensure-prerequisites.sh test).
const CELL = [
  'import pandas as pd, torch',
  'net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))',
  'churn = pd.DataFrame({"tenure": range(100), "charges": [i * 0.5 for i in range(100)]})',
  'batch = torch.arange(24, dtype=torch.float32).reshape(6, 4)',
].join('\n');

/**
 * What a new user sees about their setup (issue 22, "Saying what is set up"), in code-server with
 * the sample workspace, no API key and no nvidia-smi: the chat's setup view, Check Environment, the
 * GPUs view's empty state, the model viewer's summary, and the Kernels view's tooltips and previews.
 */
describe('What is set up (code-server, no key, no GPU tool)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: {
        settings: {
          // Debian's Python: pandas, torch and scikit-learn, but no onnxruntime or skl2onnx.
          'mlEngineer.python.path': '/usr/bin/python3',
          // Neither this nor any nvidia-smi / rocm-smi on PATH (none on these machines) can be run.
          'mlEngineer.gpu.nvidiaSmiPath': join(repoRoot, 'test/fixtures/bin/no-such-nvidia-smi'),
        },
      },
      prepare(workspace) {
        writeFileSync(
          join(workspace, NOTEBOOK),
          JSON.stringify({ cells: [{ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: CELL.split(/(?<=\n)/) }], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
        );
      },
    },
    (opened) => void ({ server, page } = opened),
  );

  const pane = (title: string): Locator => page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: title }) });
  /** Shows the ML Engineer container (its activity bar icon toggles the sidebar when it is already open). */
  async function openContainer(): Promise<void> {
    if (!(await page.locator('.sidebar .pane-header', { hasText: 'Kernels' }).isVisible())) await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await page.locator('.sidebar .pane-header', { hasText: 'Kernels' }).waitFor();
  }
  /** Expands only `title` among the container's views (the lists draw only the rows in view). */
  async function showOnly(title: string): Promise<void> {
    for (const other of ['Chat', 'Experiments', 'Kernels', 'GPUs']) {
      const header = page.locator('.sidebar .pane-header', { hasText: other });
      const expanded = (await header.getAttribute('aria-expanded')) === 'true';
      if (expanded !== (other === title)) await header.click();
    }
  }

  it('the chat setup view says where to get a key, and that everything else works without one', async () => {
    await openContainer();
    await showOnly('Chat');
    const frame = await findWebviewFrame(page, 'section.setup', 60_000);
    const text = await frame.locator('section.setup').innerText();
    assert.match(text, /Create one at console\.anthropic\.com \(Settings → API Keys\)/);
    assert.match(text, /Everything else works without a key: notebooks and kernels, experiments, the model viewer/);
    assert.match(text, /kept in VS Code's secret storage/);
    // The link is opened by VS Code, which asks first (the webview cannot navigate).
    await frame.locator('a', { hasText: 'console.anthropic.com' }).click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'open the external website' });
    await dialog.waitFor({ timeout: 15_000 });
    assert.match(await dialog.innerText(), /https:\/\/console\.anthropic\.com\/settings\/keys/);
    await saveScreenshot(page, 'chat-setup-key-link');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('the GPUs view says nvidia-smi was not found, with a button to its setting', async () => {
    await showOnly('GPUs');
    const welcome = pane('GPUs').locator('.welcome-view-content', { hasText: 'nvidia-smi not found' });
    await welcome.waitFor({ timeout: 30_000 });
    assert.doesNotMatch(await pane('GPUs').innerText(), /No GPUs listed yet/);
    await welcome.getByRole('button', { name: 'Set nvidia-smi Path' }).click();
    // The settings editor, filtered to that one setting: code-server is a remote window, where the
    // machine-overridable setting is listed under Remote (the User tab would say "No Settings Found").
    await page.locator('.settings-editor .setting-item-contents', { hasText: 'Nvidia Smi Path' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+W');
  });

  it('Check Environment says the key is not set, and which feature each missing package limits with its install command', async () => {
    await runCommand(page, 'ML Engineer: Check Environment');
    await page.locator('.tab', { hasText: 'Environment Report' }).waitFor({ timeout: 60_000 });
    const preview = await findWebviewFrame(page, 'table', 60_000);
    const text = await preview.locator('body').innerText();
    assert.match(text, /Anthropic API key\s+not set: only the chat needs one/);
    assert.match(text, /Missing onnxruntime\s+limits Optimize with onnxruntime's quantizer \(dynamic int8\) \(meanwhile Optimize uses the built-in weight-only int8 rewrite\): install with \/usr\/bin\/python3 -m pip install onnxruntime/);
    assert.match(text, /Missing skl2onnx\s+limits Export of scikit-learn models to ONNX: install with \/usr\/bin\/python3 -m pip install skl2onnx/);
    assert.doesNotMatch(text, /Missing torch/, 'torch is installed');
    await saveScreenshot(page, 'environment-report-setup');
    await page.keyboard.press('Control+W');
  });

  /** Opens a file by Quick Open (Ctrl+P); model files open in the model viewer, their default editor. */
  async function quickOpen(name: string): Promise<void> {
    // Ctrl+P goes to whatever has focus: after Ctrl+W closed a webview, CI once had it go nowhere
    // (the palette stayed hidden). Then focus the workbench through the status bar and press again.
    const input = page.locator('.quick-input-widget input');
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('Control+P');
      if (await input.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) break;
      if (attempt === 3) throw new Error(`Quick Open (Ctrl+P) did not open to find ${name}`);
      await page.keyboard.press('Escape');
      await page.locator('.part.statusbar').click({ position: { x: 700, y: 10 } }).catch(() => undefined);
    }
    await input.fill(name);
    // The exact name is the first result (simple_cnn.onnx before simple_cnn.onnx.data).
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
  }

  it('the model viewer counts external data in the size, marks non-default hyperparameters, names numpy dtypes and warns in warning colours', async () => {
    await quickOpen('simple_cnn.onnx');
    const onnx = await findWebviewFrame(page, 'table[aria-label="External data"]', 60_000);
    // 9.8 KB of graph beside 100 KB of weights: the total is the model's size.
    assert.match(await onnx.locator('h1 + p').innerText(), /110 KB \(9\.8 KB model \+ 100 KB in 1 external data file\)/);
    assert.match(await onnx.locator('table[aria-label="External data"]').innerText(), /simple_cnn\.onnx\.data\s+100 KB/);

    await quickOpen('churn_pipeline.joblib');
    const sk = await findWebviewFrame(page, 'table[aria-label="Hyperparameters"]', 60_000);
    const differs = await sk.locator('table[aria-label="Hyperparameters"] tr[data-differs="true"] td:first-child').allInnerTexts();
    assert.deepEqual(differs.sort(), ['logisticregression__C', 'logisticregression__max_iter']);
    const c = await sk.locator('table[aria-label="Hyperparameters"] tr:has(td:first-child:text-is("logisticregression__C"))').innerText();
    assert.match(c, /0\.5\s+1(\.0)?\s*$/);
    assert.match(await sk.locator('table[aria-label="Fitted arrays"]').innerText(), /classes_\s+<U7\s/);
    assert.doesNotMatch(await sk.locator('body').innerText(), /\bstr\d+\b/);
    // A caution, not an error: the editor's warning colour, and not the error colour.
    const warning = sk.locator('ul.warnings li', { hasText: 'runs their code' });
    const colours = await warning.evaluate((li) => {
      const css = getComputedStyle(document.documentElement);
      return { text: getComputedStyle(li).color, warning: css.getPropertyValue('--vscode-editorWarning-foreground').trim(), error: css.getPropertyValue('--vscode-errorForeground').trim() };
    });
    assert.ok(colours.warning && colours.error && colours.warning !== colours.error, JSON.stringify(colours));
    const probe = await sk.locator('body').evaluate((body, colour) => {
      const span = document.createElement('span');
      span.style.color = colour;
      body.append(span);
      const rgb = getComputedStyle(span).color;
      span.remove();
      return rgb;
    }, colours.warning);
    assert.equal(colours.text, probe, `the warning is drawn in ${colours.text}, the warning colour is ${probe}`);
    await saveScreenshot(page, 'model-viewer-sklearn');
  });

  it('the Kernels view names torch.nn.Sequential and opens a DataFrame or a tensor in a preview on click', async function () {
    this.timeout(240_000);
    await quickOpen(NOTEBOOK);
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });
    await pickOurLocalKernel(page, () => server.extensionLog());
    await page.locator('.notebookOverlay .code-cell-row .monaco-editor').first().click();
    await page.keyboard.press('Shift+Enter');

    await openContainer();
    await showOnly('Kernels');
    const view = pane('Kernels');
    // A row's text is its name then its type (net + torch.nn.Sequential ...), with no space between.
    const row = (name: string): Locator => view.locator('.monaco-list-row', { hasText: new RegExp(`^${name}(?=torch\\.|pd\\.)`) });
    // A row's value tooltip opens under the pointer and covers the rows below it, as it would for a
    // person, who moves the pointer away first: so does this.
    const clickRow = async (name: string): Promise<void> => {
      await page.mouse.move(150, 700); // the blank part of the side bar, below the rows
      await page.locator('.context-view .rendered-markdown').waitFor({ state: 'hidden', timeout: 10_000 });
      await row(name).click();
    };
    // The notebook's kernel row, expanded: its variables, read silently once the cell has run.
    const kernel = view.locator('.monaco-list-row', { hasText: NOTEBOOK });
    await kernel.waitFor({ timeout: 120_000 });
    for (let i = 0; i < 240 && !(await row('net').isVisible()); i++) {
      if ((await kernel.getAttribute('aria-expanded')) === 'false') await kernel.locator('.monaco-tl-twistie').click();
      await page.waitForTimeout(500);
    }
    await row('net').waitFor({ timeout: 5_000 });
    assert.match(await row('net').innerText(), /torch\.nn\.Sequential/);

    // A click on the DataFrame opens its preview: shape, dtypes, first and last rows.
    await clickRow('churn');
    await page.locator('.tab', { hasText: `churn (${NOTEBOOK})` }).waitFor({ timeout: 60_000 });
    const editor = page.locator('.editor-instance .monaco-editor .view-lines').first();
    await editor.locator('.view-line', { hasText: 'shape: (100, 2)' }).waitFor({ timeout: 30_000 });
    const lines = (await editor.innerText()).replace(/\u00a0/g, ' ');
    assert.match(lines, /Preview of churn in the kernel of values\.ipynb/);
    assert.match(lines, /tenure +int64 +0/);
    assert.match(lines, /first 10 rows:/);
    await saveScreenshot(page, 'kernels-preview');

    // A tensor: its statistics. The preview flipped the kernel busy and idle, and the tree redraws
    // once that settles; a click during the redraw is lost (VS Code drops a redrawn row's command),
    // so, as a person would, wait for the kernel's spinner to stop first.
    await kernel.locator('.codicon-circle-large-outline').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_000);
    await clickRow('batch');
    await page.locator('.tab', { hasText: `batch (${NOTEBOOK})` }).waitFor({ timeout: 60_000 });
    const tensor = page.locator('.editor-instance .monaco-editor .view-lines').first();
    await tensor.locator('.view-line', { hasText: 'max' }).waitFor({ timeout: 30_000 });
    const tensorText = (await tensor.innerText()).replace(/\u00a0/g, ' ');
    assert.match(tensorText, /shape: \(6, 4\)/);
    assert.match(tensorText, /mean +11\.5/);
  });
});
