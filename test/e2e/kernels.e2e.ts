import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { lastToolResults, lastUserText, type FakeMessagesApi, type MessagesRequestBody, type ScriptedReply } from '../support/fakeMessagesApi';
import { startJupyter, type JupyterFixture } from '../support/jupyterHarness';
import { eventually, eventuallyMatches } from '../support/eventually';
import { repoRoot, type CodeServer } from './support/codeServer';
import { findWebviewFrame, runCommand, saveScreenshot } from './support/workbench';
import { useWorkbench } from './support/workbenchFixture';

const NOTEBOOK = 'tensorboard-reducer__basic_python_api_example.ipynb';

// Cells put in front of a real notebook from ../shared/corpora/notebooks: text, an image drawn
// with the standard library only (no plotting package in the test Python), and a long loop.
const TEST_CELLS = [
  'print("hello from the kernel")\n6 * 7',
  [
    'import zlib, struct',
    'from IPython.display import Image, display',
    'def chunk(kind, data):',
    '    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)',
    'raw = b"".join(b"\\x00" + b"\\x20\\x80\\xe0" * 40 for _ in range(30))',
    'png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")',
    'display(Image(data=png))',
  ].join('\n'),
  'name = input("Your name: ")\nprint("hello", name)',
  'import time\nfor step in range(600):\n    print(f"tick {step}", flush=True)\n    time.sleep(1)',
];

/** The text of a webview frame, shadow roots included (notebook renderers draw outputs in them). */
// A string, not a function: tsx would wrap a named inner function in a helper the page lacks.
const ALL_TEXT = `(() => {
  const parts = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    parts.push((root.body ?? root).textContent ?? '');
  };
  walk(document);
  return parts.join('\\n');
})()`;

function allText(frame: Frame): Promise<string> {
  return frame.evaluate<string>(ALL_TEXT);
}

async function waitForText(frame: Frame, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await allText(frame);
    if (pattern.test(last)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${pattern} in the outputs; they read: ${last.slice(0, 500)}`);
}

/** The loopback Messages API: the agent inspects the kernel and runs code in it; a code block for "Run in kernel". */
function script(request: MessagesRequestBody): ScriptedReply {
  const results = lastToolResults(request);
  if (results.length > 0) {
    return { kind: 'message', blocks: [{ type: 'text', text: `Kernel said: ${String(results[0]!.content).slice(0, 600)}` }] };
  }
  const asked = lastUserText(request);
  if (/sum of the first ten/i.test(asked)) {
    return { kind: 'message', blocks: [{ type: 'tool_use', name: 'run_in_kernel', input: { code: 'total = sum(range(10))\nprint("total is", total)' } }] };
  }
  if (/code to check the kernel/i.test(asked)) {
    return { kind: 'message', blocks: [{ type: 'text', text: 'Try this:\n\n```python\nimport sys\nprint("chat ran in", sys.version_info[:2])\n```' }] };
  }
  return { kind: 'message', blocks: [{ type: 'text', text: `You said: ${asked}` }] };
}

function codeCell(source: string) {
  return { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) };
}

/**
 * Notebook cells on our local Jupyter server, in real VS Code (code-server) driven in headless
 * Chromium: pick our kernel, run cells, see text and an image, keep a cell running through a
 * page reload, interrupt it.
 */
describe('Jupyter kernels in VS Code (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let api: FakeMessagesApi;

  // Its own server: the local Jupyter server this suite starts outlives the window (a suite after it would reconnect to it).
  useWorkbench(
    {
      profile: {
        settings: {
          'mlEngineer.python.path': '/usr/bin/python3',
          'mlEngineer.gpu.statusBar': false,
          'mlEngineer.gpu.nvidiaSmiPath': join(repoRoot, 'test/fixtures/bin/replay-nvidia-smi'),
        },
        // The nvidia-smi stand-in replays a real H100 capture and reports each running ipykernel as holding 12 GiB.
        env: {
          REPLAY_CAPTURE: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv',
          REPLAY_APPS: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-compute-apps.csv',
          REPLAY_APPS_KERNELS: '12288',
        },
        // The base URL in the environment too: after the page reload, code-server can start the
        // extension host before the user's settings arrive, and the SDK then reads it from there.
        messagesApi: { apiKey: 'sk-ant-e2e-kernels-key' },
      },
      script,
      // The stand-in's path in the workspace's settings too: after the page reload code-server once
      // started the extension host without the user's settings (the log read the default
      // nvidia-smi), and the GPUs view below said nvidia-smi was not found.
      workspaceSettings: { 'mlEngineer.gpu.nvidiaSmiPath': join(repoRoot, 'test/fixtures/bin/replay-nvidia-smi') },
      prepare(workspace) {
        const notebook = JSON.parse(readFileSync(join(repoRoot, '../shared/corpora/notebooks', NOTEBOOK), 'utf8')) as { cells: unknown[] };
        notebook.cells = [...TEST_CELLS.map(codeCell), ...notebook.cells];
        writeFileSync(join(workspace, NOTEBOOK), JSON.stringify(notebook, null, 1));
      },
    },
    (opened) => {
      ({ server, page } = opened);
      api = opened.api!;
    },
  );

  async function connectServer(remote: JupyterFixture): Promise<void> {
    await runCommand(page, 'ML Engineer: Connect to Jupyter Server');
    const box = page.locator('.quick-input-widget input');
    await box.fill(`${remote.server.baseUrl}lab`);
    await box.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'The token for' }).waitFor();
    await box.fill(remote.server.token);
    await box.press('Enter');
  }

  /** The notebook's output webview (not the editor or the chat, whose text would match too) once it shows `selector`. */
  const outputFrame = async (selector: string, timeoutMs = 60_000): Promise<Frame> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const frame of page.frames()) {
        if (frame === page.mainFrame() || (await frame.locator('section.chat').count().catch(() => 0))) continue;
        if (await frame.locator(selector).count().catch(() => 0)) return frame;
      }
      await page.waitForTimeout(250);
    }
    throw new Error(`no output shows ${selector}`);
  };

  it('opens a notebook, offers our kernel in the picker and runs cells with text and image outputs', async () => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(NOTEBOOK);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: NOTEBOOK }).first().click();
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });
    // The local server starts when the notebook opens; its kernels then appear in the picker.
    for (let i = 0; i < 240 && !/kernel "Python 3.*" of Local is offered/.test(server.extensionLog()); i++) await page.waitForTimeout(250);
    assert.match(server.extensionLog(), /started the local server http:\/\/127\.0\.0\.1:\d+\//);
    await runCommand(page, 'Notebook: Select Notebook Kernel');
    const ours = page.locator('.quick-input-list .monaco-list-row', { hasText: 'ML Engineer: Local' }).first();
    await ours.waitFor({ timeout: 30_000 });
    // On its name: when VS Code has already selected our kernel (its affinity), the row's
    // hover ("ML Engineer: Local - Currently Selected") covers the row's middle.
    await ours.click({ position: { x: 20, y: 8 } });

    // Run the first two cells as a person does: click into the first, Shift+Enter twice.
    await page.locator('.notebookOverlay .code-cell-row .monaco-editor').first().click();
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.press('Shift+Enter');
    const text = await outputFrame('text=hello from the kernel');
    await waitForText(text, /hello from the kernel[\s\S]*\b42\b/);
    const image = await outputFrame('img');
    // An image has no size until it has decoded: wait for that.
    const size = await eventually('the output image to decode', () => image.locator('img').first().evaluate((img: HTMLImageElement) => ({ w: img.naturalWidth, h: img.naturalHeight })), (s) => s.w > 0);
    assert.deepEqual(size, { w: 40, h: 30 });
    await saveScreenshot(page, 'kernels-notebook');

    // input(): the kernel asks, VS Code's input box answers.
    await page.keyboard.press('Shift+Enter');
    const box = page.locator('.quick-input-widget', { hasText: 'Your name:' });
    await box.waitFor({ timeout: 30_000 });
    await box.locator('input').fill('Ada');
    await box.locator('input').press('Enter');
    await waitForText(await outputFrame('text=hello Ada'), /hello Ada/);
  });

  it('keeps a running cell through a page reload and shows its new output, then interrupts it', async function () {
    this.timeout(240_000);
    await page.keyboard.press('Shift+Enter');
    const frame = await outputFrame('text=tick 2');
    assert.ok(frame);
    const activations = (): number => server.extensionLog().split('\n').filter((l) => l.includes('activation {')).length;
    const before = activations();
    await page.reload();
    await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
    for (let i = 0; i < 240 && activations() === before; i++) await page.waitForTimeout(250);
    assert.ok(activations() > before, 'the extension activated again after the reload');
    // The notebook is restored; the cell shows running again, with ticks printed after the reload.
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });
    for (let i = 0; i < 240 && !/still running; following it/.test(server.extensionLog()); i++) await page.waitForTimeout(250);
    assert.match(server.extensionLog(), /reconnected to the local server started earlier/);
    assert.match(server.extensionLog(), /cell 4 of .* is still running; following it/);
    const ticks = async (): Promise<number> => {
      const all = await allText(await outputFrame('text=/tick \\d+/'));
      return Math.max(...[...all.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    };
    const first = await ticks();
    await eventually(`a tick after ${first}: new output after the reload`, ticks, (later) => later > first);
    await page.locator('.notebookOverlay .codicon-notebook-state-executing, .notebookOverlay .codicon-modifier-spin').first().waitFor({ timeout: 10_000 });
    await saveScreenshot(page, 'kernels-after-reload');

    await page.locator('.notebookOverlay .monaco-toolbar a[aria-label^="Interrupt"]').first().click();
    const interrupted = await outputFrame('text=KeyboardInterrupt', 30_000);
    assert.ok(interrupted);
  });

  it('lets the agent run code in the notebook kernel after approval, and keeps it to insert as a cell', async () => {
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    const chat = await findWebviewFrame(page, 'section.chat textarea', 60_000);
    const input = chat.locator('textarea[aria-label="Message"]');
    await input.fill('what is the sum of the first ten integers in my kernel?');
    await input.press('Enter');
    const card = chat.locator('.tool-card').last();
    await card.locator('button:text-is("Allow once")').click();
    await chat.locator('.msg.assistant', { hasText: 'total is 45' }).waitFor({ timeout: 60_000 });
    assert.match(await card.innerText(), /exec-1/);
    const inserted = page.locator('.notebookOverlay .code-cell-row', { hasText: 'total = sum(range(10))' });
    assert.equal(await inserted.count(), 0);
    await card.locator('button:text-is("Insert as cell")').click();
    await inserted.first().waitFor({ timeout: 15_000 }); // revealed where it was inserted
    await saveScreenshot(page, 'kernels-agent-run');
    // Every request since the reload went to the loopback API, never to the real one.
    const endpoints = (await eventuallyMatches('the endpoint the chat used', () => server.extensionLog(), /chat requests go to \S+/)).match(/chat requests go to \S+/g) ?? [];
    assert.ok(endpoints.length > 0, 'the chat said where its requests go');
    for (const line of endpoints) assert.equal(line, `chat requests go to ${api.baseURL}`);
  });

  it('runs a code block from the chat in the kernel as a new cell', async () => {
    const chat = await findWebviewFrame(page, 'section.chat textarea', 60_000);
    const input = chat.locator('textarea[aria-label="Message"]');
    await input.fill('give me code to check the kernel');
    await input.press('Enter');
    const answer = chat.locator('.msg.assistant').last();
    await answer.locator('button:text-is("Run in kernel")').click();
    const frame = await outputFrame('text=/chat ran in/');
    await waitForText(frame, /chat ran in \(3, \d+\)/);
  });

  it('shows the local server, the notebook kernel and its variables in the Kernels view', async () => {
    // Chat folds away so the Kernels view has the room (its list draws only the rows in view).
    await page.locator('.sidebar .pane-header', { hasText: 'Chat' }).click();
    await page.locator('.sidebar .pane-header', { hasText: 'Kernels' }).click();
    const view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Kernels' }) });
    await view.locator('.monaco-list-row', { hasText: 'Local Jupyter server' }).waitFor({ timeout: 30_000 });
    await view.locator('.monaco-list-row', { hasText: NOTEBOOK }).waitFor({ timeout: 30_000 });
    // The variables the agent's and the user's cells left, read silently after each run.
    const total = view.locator('.monaco-list-row', { hasText: /^total/ });
    await total.waitFor({ timeout: 30_000 });
    assert.match(await total.innerText(), /int\s*=\s*45/);
    await view.locator('.monaco-list-row', { hasText: /^png/ }).waitFor();
    await page.mouse.move(900, 500);
    await saveScreenshot(page, 'kernels-view');
  });

  it('connects to another Jupyter server by URL and token, keeps the token out of the logs, and lists it', async function () {
    this.timeout(180_000);
    // A second, real Jupyter server stands in for a remote one (JupyterHub and Enterprise Gateway speak the same API).
    const remote: JupyterFixture = await startJupyter();
    try {
      await connectServer(remote);
      const port = new URL(remote.server.baseUrl).port;
      const view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Kernels' }) });
      await view.locator('.monaco-list-row', { hasText: `127.0.0.1:${port}` }).waitFor({ timeout: 30_000 });
      for (let i = 0; i < 40 && !new RegExp(`kernel "Python 3.*" of 127\\.0\\.0\\.1:${port} is offered`).test(server.extensionLog()); i++) await page.waitForTimeout(250);
      assert.match(server.extensionLog(), new RegExp(`connected to ${remote.server.baseUrl.replace(/[.]/g, '\\.')}`));
      assert.match(server.extensionLog(), new RegExp(`of 127\\.0\\.0\\.1:${port} is offered`));
      for (const log of [server.extensionLog(), server.extensionHostLog()]) assert.ok(!log.includes(remote.server.token), 'the token is in a log');
    } finally {
      await remote.close();
    }
  });

  it('names the notebook whose kernel holds GPU memory in the GPUs view', async () => {
    await page.locator('.sidebar .pane-header', { hasText: 'Kernels' }).click(); // fold it: room for GPUs
    await page.locator('.sidebar .pane-header', { hasText: 'GPUs' }).click();
    const view = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'GPUs' }) });
    const gpu = view.locator('.monaco-list-row', { hasText: 'H100' });
    await gpu.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => !!document.querySelector('.sidebar .monaco-list-row[aria-expanded]'), undefined, { timeout: 30_000 });
    if ((await gpu.getAttribute('aria-expanded')) === 'false') await gpu.click();
    const ours = view.locator('.monaco-list-row', { hasText: NOTEBOOK });
    await ours.waitFor({ timeout: 30_000 });
    assert.match(await ours.innerText(), /12\.0 GB · pid \d+/);
    await view.locator('.monaco-list-row', { hasText: 'gpu_burn' }).waitFor();
    await page.mouse.move(900, 500);
    await saveScreenshot(page, 'gpu-processes');
  });

  it('shows the GPUs of the machine a remote kernel runs on, sampled inside that kernel', async function () {
    this.timeout(180_000);
    // The "remote" server's kernels see an nvidia-smi (the stand-in replaying the H100 capture) through their environment.
    const saved = process.env.REPLAY_CAPTURE;
    process.env.REPLAY_CAPTURE = 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv';
    const savedPath = process.env.PATH;
    process.env.PATH = `${join(repoRoot, 'test/fixtures/bin/nvidia-smi-on-path')}:${savedPath ?? ''}`;
    const remote = await startJupyter();
    process.env.REPLAY_CAPTURE = saved;
    process.env.PATH = savedPath;
    try {
      await connectServer(remote);
      const port = new URL(remote.server.baseUrl).port;
      await runCommand(page, 'Notebook: Select Notebook Kernel');
      // With a kernel already chosen, the picker first offers it and "Select Another Kernel...".
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Select Another Kernel' }).first().click();
      // ...then the kernel sources (one per extension), then that source's kernels.
      await page.locator('.quick-input-widget', { hasText: 'Select Another Kernel' }).locator('input[placeholder*="kernel source"]').waitFor();
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'ML Engineer' }).first().click();
      const theirs = page.locator('.quick-input-list .monaco-list-row', { hasText: `ML Engineer: 127.0.0.1:${port}` }).first();
      await theirs.waitFor({ timeout: 30_000 });
      await theirs.click();
      // Run the cell the agent's code became (never run yet) on the remote kernel.
      await page.locator('.notebookOverlay .code-cell-row', { hasText: 'total = sum(range(10))' }).locator('.monaco-editor').click();
      await page.keyboard.press('Shift+Enter');
      await waitForText(await outputFrame('text=total is 45'), /total is 45/);
      for (let i = 0; i < 120 && !new RegExp(`GPUs: showing those of 127\\.0\\.0\\.1:${port}`).test(server.extensionLog()); i++) await page.waitForTimeout(250);
      assert.match(server.extensionLog(), new RegExp(`GPUs: showing those of 127\\.0\\.0\\.1:${port}`));
      const header = page.locator('.sidebar .pane-header', { hasText: 'GPUs' });
      await header.locator('.description', { hasText: `on ${hostname()}` }).waitFor({ timeout: 30_000 });
      await page.locator('.sidebar .monaco-list-row', { hasText: '0: NVIDIA H100 80GB HBM3' }).waitFor();
    } finally {
      await remote.close();
    }
  });
});
