import type { Locator, Page } from 'playwright-core';

/**
 * Opens `file` (Ctrl+P), puts the cursor on 1-based `line` (Ctrl+G) and opens the code action list
 * (Ctrl+.) until an action titled `title` shows: right after start the provider may not be
 * registered yet, and the first request loads the Python parser. Returns the list.
 */
export async function openCodeActions(page: Page, file: string, line: number, title: string): Promise<Locator> {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(file);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: file }).first().click();
  await page.locator('.tabs-container .tab.active', { hasText: file }).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').fill(`:${line}`);
  await page.keyboard.press('Enter');
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
