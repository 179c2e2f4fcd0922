import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { summariseNotebook } from '../../src/agent/tools/notebookSummary';
import { lastToolResults, lastUserText, type FakeMessagesApi, type MessagesRequestBody, type ScriptedReply } from '../support/fakeMessagesApi';
import { eventuallyMatches } from '../support/eventually';
import { repoRoot, type CodeServer } from './support/codeServer';
import { findWebviewFrame } from './support/workbench';
import { AGENT_PROFILE, useWorkbench } from './support/workbenchFixture';

const NOTEBOOK = 'notebooks/outputs.ipynb';
const fixtures = join(repoRoot, 'test/fixtures/notebooks');

/** Real notebooks' cells and outputs in one: images, an execute_result, stdout, stderr and an error. */
function outputsNotebook(): string {
  const images = JSON.parse(readFileSync(join(fixtures, 'tensorboard-reducer__functorch_mlp_ensemble.ipynb'), 'utf8')) as { cells: unknown[] };
  const errors = JSON.parse(readFileSync(join(fixtures, 'onnx__quickstart__error-output.ipynb'), 'utf8')) as { cells: unknown[] };
  return JSON.stringify({ ...images, cells: [...images.cells, ...errors.cells] }, null, 1);
}

function script(request: MessagesRequestBody): ScriptedReply {
  if (lastToolResults(request).length > 0) return { kind: 'message', blocks: [{ type: 'text', text: 'Tool finished.' }] };
  const asked = lastUserText(request);
  if (/read the outputs notebook/i.test(asked)) return { kind: 'message', blocks: [{ type: 'tool_use', name: 'read_notebook', input: { path: NOTEBOOK } }] };
  if (/search for the learning rate/i.test(asked)) return { kind: 'message', blocks: [{ type: 'tool_use', name: 'search_workspace', input: { query: 'default=\\d+e-\\d', glob: '*.py' } }] };
  return { kind: 'message', blocks: [{ type: 'text', text: `You said: ${asked}` }] };
}

/**
 * The agent's notebook and search tools inside real VS Code (code-server): read_notebook reads
 * the open notebook as the editor holds it (a cell added and not saved included), the same cells
 * edit_notebook_cell edits; search_workspace runs the ripgrep VS Code ships.
 */
describe('Notebook and search tools in the editor (code-server + loopback Messages API)', function () {
  let api: FakeMessagesApi;
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: AGENT_PROFILE,
      script,
      workspaceSettings: { 'files.autoSave': 'off' },
      prepare: (workspace) => writeFileSync(join(workspace, NOTEBOOK), outputsNotebook()),
    },
    async (opened) => {
      ({ server, page } = opened);
      api = opened.api!;
      await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    },
  );

  /** Asks in the chat and returns the text of the tool result the model was sent. */
  async function toolResultFor(question: string): Promise<string> {
    const frame: Frame = await findWebviewFrame(page, 'section.chat textarea', 60_000);
    const before = api.requests.length;
    const answers = frame.locator('.msg.assistant', { hasText: 'Tool finished.' });
    const seen = await answers.count();
    await frame.locator('textarea[aria-label="Message"]').fill(question);
    await frame.locator('textarea[aria-label="Message"]').press('Enter');
    await answers.nth(seen).waitFor({ timeout: 60_000 });
    await frame.locator('button:text-is("Send"):visible').waitFor({ timeout: 30_000 });
    const request = api.requests.slice(before).find((r) => lastToolResults(r.body).length > 0);
    assert.ok(request, 'the tool result reached the API');
    const content = lastToolResults(request.body)[0]!.content;
    return Array.isArray(content) ? (content as { type: string; text?: string }[]).map((b) => b.text ?? '').join('') : String(content);
  }

  it('reads an open notebook as the editor holds it, a cell added and not saved included', async () => {
    const path = join(server.workspace, NOTEBOOK);
    const onDisk = readFileSync(path, 'utf8');
    // Quick Open, from the editor area (the chat's webview would take the key otherwise).
    await page.locator('.part.editor').click({ position: { x: 300, y: 300 } });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('outputs.ipynb');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'outputs.ipynb' }).first().click();
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });

    // Open and unchanged: the editor's cells and outputs summarise exactly as the file does.
    const fromEditor = await toolResultFor('Please read the outputs notebook');
    assert.equal(fromEditor, summariseNotebook(onDisk, NOTEBOOK));
    assert.match(fromEditor, /\[image\/png, [\d.]+ KB\]/);
    assert.match(fromEditor, /error \w+(Error|Exception)/);

    // A person adds a code cell (the toolbar's "+ Code") and types into it, without saving.
    await page.locator('.notebookOverlay .code-cell-row .monaco-editor').first().click();
    await page.locator('.notebook-toolbar-container').getByText('Code', { exact: true }).first().click();
    await page.locator('.notebookOverlay .code-cell-row.focused .monaco-editor.focused').waitFor({ timeout: 15_000 });
    await page.keyboard.type('added_not_saved = 42');
    await page.keyboard.press('Escape');
    await page.locator('.tab.dirty', { hasText: 'outputs.ipynb' }).waitFor({ timeout: 15_000 });

    const unsaved = await toolResultFor('Now read the outputs notebook again');
    const cells = (JSON.parse(onDisk) as { cells: unknown[] }).cells.length;
    assert.match(unsaved, new RegExp(`^${NOTEBOOK}: ${cells + 1} cells, kernel .* \\(as open in the editor, with changes not saved yet\\)\\n`));
    assert.match(unsaved, /\n--- cell \d+ \(code\)\nadded_not_saved = 42\n\n--- cell \d+ \(/);
    assert.equal(readFileSync(path, 'utf8'), onDisk, 'reading saved nothing');
    await page.locator('.tab.dirty', { hasText: 'outputs.ipynb' }).waitFor({ timeout: 5_000 });
  });

  it('searches with the ripgrep VS Code ships, in a child process', async () => {
    const found = await toolResultFor('Please search for the learning rate');
    assert.match(found, /^train\.py:\d+: .*default=3e-3/m);
    await eventuallyMatches('the ripgrep the tools use, in the log', () => server.extensionLog(), /agent: file tools use ripgrep at .*node_modules\/@vscode\/ripgrep\/bin\/rg\b/);
  });
});
