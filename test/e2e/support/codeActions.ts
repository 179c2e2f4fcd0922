import type { Locator, Page } from 'playwright-core';

/**
 * Opens `file` (Ctrl+P), puts the cursor on 1-based `line` (Ctrl+G) and opens the code action list
 * (Ctrl+.) until an action titled `title` shows: right after start the provider may not be
 * registered yet, and the first request loads the Python parser. Returns the list.
 */
export async function openCodeActions(page: Page, file: string, line: number, title: string): Promise<Locator> {
  await openFile(page, file);
  await goToLine(page, line);
  const action = page.locator('.action-widget .monaco-list-row', { hasText: title });
  for (let attempt = 0; !(await action.isVisible()); attempt++) {
    if (attempt === 20) throw new Error(`no "${title}" code action on line ${line} of ${file}`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+.');
    await action.waitFor({ timeout: 2000 }).catch(() => undefined);
  }
  return page.locator('.action-widget');
}

/** Applies the code action titled exactly `title` from the open list: the list takes keys (a pointer block covers it). */
export async function applyCodeAction(page: Page, title: string): Promise<void> {
  const focused = page.locator('.action-widget .monaco-list-row.focused');
  for (let i = 0; (await focused.getAttribute('aria-label')) !== title; i++) {
    if (i === 10) throw new Error(`the code action list never focused "${title}": ${await page.locator('.action-widget').innerText()}`);
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
}

/**
 * Opens `file` with Quick Open (Ctrl+P) until its tab is the active one. The click can land on a
 * row of the list shown before the typed name's results replace it (the recently opened files):
 * seen once after a webview editor had the focus, nothing opened and the next wait timed out.
 */
export async function openFile(page: Page, file: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab.active', { hasText: file });
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(file);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: file }).first().click();
    if (await tab.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
    if (attempt === 2) throw new Error(`Quick Open did not open ${file}`);
    await page.keyboard.press('Escape');
  }
}

/**
 * Puts the cursor on 1-based `line` of the active editor (Ctrl+G), as the status bar then shows.
 * On a loaded machine Enter once went to the picker before it offered the line (its editor not
 * yet the active one, or the number not yet read): the cursor stayed on line 1 and Ctrl+. there
 * offered nothing (codeActions.e2e, after other suites in the same run). So Enter waits for the
 * picker's "Go to line N." row, and the step is tried again until the status bar shows the line.
 */
export async function goToLine(page: Page, line: number): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const target = page.locator('.quick-input-widget .monaco-list-row', { hasText: `Go to line ${line}.` });
  const cursor = page.locator('.statusbar-item', { hasText: new RegExp(`^Ln ${line}, Col \\d+`) });
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+G');
    await input.fill(`:${line}`);
    if (await target.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await page.keyboard.press('Enter');
      if (await cursor.waitFor({ timeout: 5_000 }).then(() => true, () => false)) return;
    }
    if (attempt === 5) throw new Error(`the cursor did not go to line ${line}: the status bar reads ${await page.locator('.part.statusbar').innerText()}`);
    await page.keyboard.press('Escape');
  }
}
