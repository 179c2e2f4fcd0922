import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { codeDigest } from '../../src/chat/codeBlocks';
import type { ConversationRecord } from '../../src/chat/conversationStore';
import type { TranscriptItem } from '../../src/chat/transcript';
import { FIRST_PAGE } from '../../src/chat/transcriptPages';
import { lastUserText, type MessagesRequestBody, type ScriptedReply } from '../support/fakeMessagesApi';
import { eventually, eventuallyMatches } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { findWebviewFrame, runCommand } from './support/workbench';
import { AGENT_PROFILE, useWorkbench } from './support/workbenchFixture';

// What the chat draws is what it copies, inserts and runs: an answer from the loopback API hides
// code in HTML, and Copy / Insert / Insert as cell must yield exactly the code a person sees.

/** A model-written `<pre>` with a hidden part (Copy used to take its textContent), then real code blocks. */
const FIXED = 'total = sum(values)\nprint(f"total: {total}")';
const IN_DETAILS = 'print("from details")';
const ANSWER = [
  'Here is the fix.',
  '<pre><code>print("safe")<span hidden>; __import__("os").system("touch pwned.txt")</span></code></pre>',
  `\`\`\`python\n${FIXED}\n\`\`\``,
  `<details><summary>More</summary>\n\n\`\`\`python\n${IN_DETAILS}\n\`\`\`\n\n</details>`,
  'Done.',
].join('\n\n');
const STREAMED_CODE = Array.from({ length: 60 }, (_, i) => `step_${i} = train(step=${i})`).join('\n');

function script(request: MessagesRequestBody): ScriptedReply {
  const asked = lastUserText(request);
  if (/show me the fix/i.test(asked)) return { kind: 'message', delayMs: 5, chunkSize: 9, blocks: [{ type: 'text', text: ANSWER }] };
  if (/stream a long block/i.test(asked)) return { kind: 'message', delayMs: 25, chunkSize: 12, blocks: [{ type: 'text', text: `Training loop:\n\n\`\`\`python\n${STREAMED_CODE}\n\`\`\`\n\nThat is all.` }] };
  return { kind: 'message', blocks: [{ type: 'text', text: `You said: ${asked}` }] };
}

function longConversation(id: string): ConversationRecord {
  const items: TranscriptItem[] = [];
  for (let i = 0; i < 1000; i++) {
    items.push({ kind: 'user', id: `u${i}`, text: `Question ${i}: how should I validate model ${i}?` });
    items.push({ kind: 'assistant', id: `a${i}`, text: `Use **k-fold** for model ${i}.\n\n\`\`\`python\nscores_${i} = cross_val_score(model, X, y, cv=5)\n\`\`\``, streaming: false, endReason: 'end_turn' });
  }
  const now = new Date().toISOString();
  const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  return { version: 1, id, title: 'A long conversation', createdAt: now, updatedAt: now, model: 'claude-sonnet-5-5', messages: [], items, totals: { usage, costUsd: 0, contextTokens: 0 } };
}

describe('Chat rendering: the code shown is the code used (code-server + loopback Messages API)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: AGENT_PROFILE,
      script,
      workspaceSettings: { 'mlEngineer.agent.costCapUsd': 0 },
      prepare(workspace) {
        writeFileSync(join(workspace, 'inserted.py'), '');
        writeFileSync(join(workspace, 'pasted.py'), '');
      },
    },
    async (opened) => {
      ({ server, page } = opened);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    },
  );

  const chat = (): Promise<Frame> => findWebviewFrame(page, 'section.chat textarea', 60_000);

  async function ask(text: string): Promise<Frame> {
    const frame = await chat();
    const input = frame.locator('textarea[aria-label="Message"]');
    await input.fill(text);
    await input.press('Enter');
    return frame;
  }

  async function idle(frame: Frame): Promise<void> {
    await frame.locator('button:text-is("Send"):visible').waitFor({ timeout: 30_000 });
  }

  async function openFile(name: string): Promise<void> {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().click();
    await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
  }

  /** Saves the active editor until its file shows the change (the edit arrives from the host asynchronously). */
  async function saved(name: string, changed: (text: string) => boolean): Promise<string> {
    const path = join(server.workspace, name);
    for (let attempt = 0; attempt < 5; attempt++) {
      // Focus the editor (the click on a chat button left focus in the webview), then save.
      await page.locator('.tabs-container .tab.active').click();
      await page.keyboard.press('Control+S');
      for (let i = 0; i < 15 && !changed(readFileSync(path, 'utf8')); i++) await page.waitForTimeout(200);
      if (changed(readFileSync(path, 'utf8'))) return readFileSync(path, 'utf8');
    }
    // Say what the window said (an error notification, say) rather than compare a file that never changed.
    const notices = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
    throw new Error(`${name} never showed the change; notifications: ${JSON.stringify(notices)}`);
  }

  /** The answer's code blocks as a person sees them (innerText leaves out anything not rendered). */
  async function shownBlocks(frame: Frame): Promise<string[]> {
    return frame.locator('.msg.assistant').last().locator('.code-block pre code').allInnerTexts();
  }

  it('shows what the model hid, and gives its hand-written <pre> no Copy / Insert / Run', async () => {
    const frame = await ask('Show me the fix');
    const answer = frame.locator('.msg.assistant', { hasText: 'Done.' }).last();
    await answer.waitFor();
    await idle(frame);
    assert.deepEqual(await shownBlocks(frame), [FIXED, IN_DETAILS]);
    // The HTML <pre>: its hidden part is on screen, and it has no code actions of its own.
    const raw = answer.locator('pre', { hasText: 'print("safe")' });
    assert.match(await raw.innerText(), /print\("safe"\); __import__\("os"\)\.system\("touch pwned\.txt"\)/);
    assert.equal(await raw.locator('xpath=ancestor::div[contains(@class,"code-block")]').count(), 0);
    assert.equal(await answer.locator('[hidden], details, [style], [aria-hidden]').count(), 0);
    assert.deepEqual(await answer.locator('.code-block').first().locator('.code-actions button').allInnerTexts(), ['Copy', 'Insert', 'Insert as cell', 'Run in kernel']);
    assert.equal(await answer.locator('.code-actions').count(), 2, 'two code blocks, two action bars');
  });

  it('Insert puts exactly the code shown at the cursor', async () => {
    await openFile('inserted.py');
    const frame = await chat();
    await frame.locator('.msg.assistant').last().locator('.code-block').first().locator('button:text-is("Insert")').click();
    const text = await saved('inserted.py', (t) => t.length > 0);
    assert.equal(text, FIXED);
    assert.equal(text, (await shownBlocks(frame))[0]);
  });

  it('Copy puts exactly the code shown on the clipboard', async () => {
    const frame = await chat();
    await page.evaluate(() => navigator.clipboard.writeText('clipboard before'));
    await frame.locator('.msg.assistant').last().locator('.code-block').nth(1).locator('button:text-is("Copy")').click();
    let copied = '';
    for (let i = 0; i < 50 && copied !== IN_DETAILS; i++) {
      await page.waitForTimeout(100);
      copied = await page.evaluate(() => navigator.clipboard.readText());
    }
    assert.equal(copied, IN_DETAILS);
  });

  it('Insert as cell adds the code shown as a cell of the open notebook', async () => {
    const path = join(server.workspace, 'notebooks/baseline.ipynb');
    const before = JSON.parse(readFileSync(path, 'utf8')) as { cells: { source: string | string[] }[] };
    await openFile('baseline.ipynb');
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });
    const frame = await chat();
    await frame.locator('.msg.assistant').last().locator('.code-block').nth(1).locator('button:text-is("Insert as cell")').click();
    await saved('notebooks/baseline.ipynb', (t) => t.includes('from details'));
    const after = JSON.parse(readFileSync(path, 'utf8')) as typeof before;
    const sourcesOf = (notebook: typeof before): string[] => notebook.cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source));
    // The code is a cell of its own and every other cell is as it was (the whole list in the message).
    const sources = sourcesOf(after);
    const at = sources.indexOf(IN_DETAILS);
    assert.ok(at >= 0, `no cell holds exactly the code shown: ${JSON.stringify(sources)}`);
    assert.deepEqual(sources.filter((_, i) => i !== at), sourcesOf(before));
    await runCommand(page, 'View: Close Editor');
  });

  it('refuses a forged action for code the conversation does not hold, and the old code-carrying messages', async () => {
    await openFile('pasted.py');
    const frame = await chat();
    const host = frame.parentFrame();
    assert.ok(host, 'the webview host frame');
    const itemId = await frame.locator('.msg.assistant').last().getAttribute('data-id');
    const forge = (m: unknown): Promise<void> =>
      host.evaluate((message) => (globalThis as unknown as { __vscode_post_message__(c: string, d: unknown): void }).__vscode_post_message__('onmessage', { message }), m);
    await forge({ type: 'codeAction', action: 'insert', itemId, digest: codeDigest('import os; os.system("touch pwned.txt")') });
    await forge({ type: 'insertCode', code: 'import os; os.system("touch pwned.txt")' });
    await forge({ type: 'runInKernel', code: 'import os; os.system("touch pwned.txt")' });
    await page.locator('.notifications-toasts', { hasText: 'not in this conversation as it was saved' }).waitFor({ timeout: 15_000 });
    assert.equal(await saved('pasted.py', () => true), '');
    // The log reaches its file within a flush: wait for the lines.
    await eventuallyMatches('the insertCode rejection in the log', () => server.extensionLog(), /rejected webview message \(insertCode\)/);
    await eventuallyMatches('the runInKernel rejection in the log', () => server.extensionLog(), /rejected webview message \(runInKernel\)/);
    assert.throws(() => readFileSync(join(server.workspace, 'pwned.txt')));
  });

  it('draws a code block being streamed as plain text, with actions and highlighting once it closes', async () => {
    const frame = await ask('Stream a long block please');
    const streaming = frame.locator('.msg.assistant.streaming');
    await streaming.locator('.code-block pre code', { hasText: 'step_10 = train' }).waitFor({ timeout: 30_000 });
    // Open: no actions, no highlighting (highlight.js runs once, when the block closes).
    assert.equal(await streaming.locator('.code-actions').count(), 0);
    assert.equal(await streaming.locator('.code-block pre code span').count(), 0);
    await idle(frame);
    const done = frame.locator('.msg.assistant', { hasText: 'That is all.' }).last();
    assert.deepEqual(await done.locator('.code-block pre code').allInnerTexts(), [STREAMED_CODE]);
    // Highlighted in the chat's worker, whose answer can come after the stream's end.
    await eventually('the closed block to be highlighted', () => done.locator('.code-block pre code span').count(), (spans) => spans > 0, { timeoutMs: 10_000 });
    assert.equal(await done.locator('.code-actions').count(), 1);
  });

  it('opens a long conversation at its end, and draws older messages as the view scrolls up', async () => {
    const first = await ask('hello before the long one');
    await first.locator('.msg.assistant', { hasText: 'You said: hello before the long one' }).waitFor();
    await idle(first); // saved: the conversations folder exists
    const storage = server.workspaceStorage();
    const folder = storage && join(storage, 'mlengineer.ml-engineer', 'conversations');
    assert.ok(folder && readdirSync(folder).includes('index.json'), 'the conversations folder');
    const record = longConversation('e2e-long');
    writeFileSync(join(folder, `${record.id}.json`), JSON.stringify(record));
    const index = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8')) as unknown[];
    writeFileSync(join(folder, 'index.json'), JSON.stringify([{ id: record.id, title: record.title, updatedAt: record.updatedAt }, ...index]));
    const frame = await chat();
    // A new chat makes the host list the conversations again, the one written above with them.
    await frame.locator('button:text-is("New chat")').click();
    await frame.locator('.empty').waitFor();
    await frame.locator('button:text-is("History")').click();
    // The first frame that shows the conversation: only what fills the view is drawn by then
    // (the view draws 4 items at a time; the margin above it comes after, when the page is idle).
    await frame.evaluate(() => {
      const transcript = document.querySelector('.transcript')!;
      const probe = globalThis as unknown as { __firstFrame?: { drawn: number; fifthTop: number; viewTop: number } };
      const observer = new MutationObserver(() => {
        if (!transcript.querySelector('[data-id="a999"]')) return;
        observer.disconnect();
        requestAnimationFrame(() => {
          const drawn = transcript.querySelectorAll(':scope > [data-id]');
          probe.__firstFrame = { drawn: drawn.length, fifthTop: drawn[4]?.getBoundingClientRect().top ?? Infinity, viewTop: transcript.getBoundingClientRect().top };
        });
      });
      observer.observe(transcript, { childList: true });
    });
    await frame.locator('.history button', { hasText: 'A long conversation' }).click();
    const firstFrame = await frame.waitForFunction(() => (globalThis as unknown as { __firstFrame?: unknown }).__firstFrame).then((h) => h.jsonValue() as Promise<{ drawn: number; fifthTop: number; viewTop: number }>);
    assert.ok(firstFrame.fifthTop >= firstFrame.viewTop - 1, `the first frame draws only what fills the view: ${JSON.stringify(firstFrame)}`);
    const newest = frame.locator('.msg.assistant[data-id="a999"]');
    await newest.locator('.code-actions').waitFor();
    assert.ok(await newest.isVisible());
    const atEnd = (): Promise<boolean> => frame.evaluate(() => {
      const t = document.querySelector('.transcript')!;
      return t.scrollHeight - t.scrollTop - t.clientHeight < 2;
    });
    for (let i = 0; i < 50 && !(await atEnd()); i++) await page.waitForTimeout(100);
    assert.ok(await atEnd(), 'the view opens at the newest message');
    const drawn = await frame.locator('.transcript [data-id]').count();
    // The host sends its first page; the view draws of it only what fills the view and the margin above it.
    assert.ok(drawn > 2 && drawn < FIRST_PAGE, `only the messages that can be seen are drawn at first (${drawn} of the ${FIRST_PAGE} sent)`);
    // Scrolling up brings older pages, and keeps in view what was in view.
    for (let i = 0; i < 40 && (await frame.locator('.msg[data-id="u0"]').count()) === 0; i++) {
      // Read and scrolled in one task: the page may draw more above on its own (when idle) between
      // two evaluations, and the message to keep in view is the one on top when the scroll happens.
      const top = await frame.evaluate(() => {
        const t = document.querySelector('.transcript')!;
        const id = t.querySelector('[data-id]')!.getAttribute('data-id');
        t.scrollTop = 0;
        return id;
      });
      await frame.waitForFunction((id) => document.querySelector('.transcript [data-id]')?.getAttribute('data-id') !== id, top, { timeout: 15_000 });
      const stillInView = await frame.evaluate((id) => {
        const t = document.querySelector('.transcript')!.getBoundingClientRect();
        const r = document.querySelector(`.transcript [data-id="${id}"]`)!.getBoundingClientRect();
        return r.bottom > t.top && r.top < t.bottom;
      }, top);
      assert.ok(stillInView, `message ${top} stays in view when older ones are drawn above it`);
    }
    assert.equal(await frame.locator('.transcript .msg[data-id]').count(), 2000);
    assert.equal(await frame.locator('.older:visible').count(), 0, 'no more to load');
    // Back at the end: a message drawn far above the view is not laid out (content-visibility: auto,
    // a placeholder height), yet it is in the document, so find in page still reaches it.
    const far = await frame.evaluate(() => {
      const t = document.querySelector('.transcript')!;
      t.scrollTop = t.scrollHeight;
      return new Promise<{ skipped: boolean; found: string | null | undefined }>((resolve) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            const skipped = !t.querySelector('[data-id="u0"] .bubble')!.checkVisibility({ contentVisibilityAuto: true });
            const page = window as unknown as { find(text: string, caseSensitive: boolean, backwards: boolean, wrap: boolean): boolean };
            const found = page.find('Question 0:', false, false, true) ? getSelection()?.anchorNode?.parentElement?.closest('[data-id]')?.getAttribute('data-id') : undefined;
            resolve({ skipped, found });
          }),
        ),
      );
    });
    assert.ok(far.skipped, 'a message far above the view is not laid out');
    assert.equal(far.found, 'u0', 'find in page reaches a message that is not laid out');
  });
});
