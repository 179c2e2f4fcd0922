import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { eventually } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { saveScreenshot } from './support/workbench';
import { useWorkbench } from './support/workbenchFixture';

/**
 * The sample workspace opened with workspace trust on and the folder not trusted (Restricted
 * Mode): ML Engineer reads models but runs nothing on them. Optimize, Export, Deploy and
 * Benchmark are not offered in menus or the palette, and a keybinding that runs one anyway gets
 * a message that says why, with the way to trust the workspace; nothing is written.
 */
describe('Restricted Mode (code-server, untrusted workspace)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: {
        untrusted: true,
        settings: { 'mlEngineer.jupyter.autoStartLocalServer': false },
        keybindings: [{ key: 'ctrl+alt+shift+o', command: 'mlEngineer.optimizeModel' }],
      },
    },
    (opened) => void ({ server, page } = opened),
  );

  it('opens in Restricted Mode', async () => {
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });
  });

  it('the explorer menu of an ONNX file offers Inspect Model, not Optimize, Deploy or Benchmark', async () => {
    const explorer = page.locator('.explorer-folders-view');
    if (!(await explorer.isVisible())) await page.locator('.activitybar a[aria-label^="Explorer"]').click();
    const row = explorer.locator('.monaco-list-row', { hasText: /^simple_cnn\.onnx$/ });
    if (!(await row.isVisible())) await explorer.locator('.monaco-list-row', { hasText: /^models$/ }).click();
    await row.waitFor({ timeout: 30_000 });
    const menu = page.locator('.context-view.monaco-menu-container');
    // Right after start the menu can lack the extension's items (contributions still loading): reopen it.
    for (let attempt = 0; ; attempt++) {
      await row.click({ button: 'right' });
      await menu.waitFor({ timeout: 10_000 });
      if (await menu.locator('.action-item', { hasText: 'Inspect Model' }).count()) break;
      if (attempt === 20) throw new Error('no "Inspect Model" in the context menu');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
    const items = (await menu.locator('.action-item').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    await saveScreenshot(page, 'restricted-mode-menu');
    await page.keyboard.press('Escape');
    for (const hidden of ['Optimize Model', 'Deploy Model', 'Benchmark Model', 'Export Model']) {
      assert.ok(!items.some((i) => i.startsWith(hidden)), `${hidden} offered in Restricted Mode: ${items.join(' | ')}`);
    }
  });

  it('the palette does not offer them', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>ML Engineer: ');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Inspect Model' }).first().waitFor({ timeout: 15_000 });
    await input.fill('>ML Engineer: Model');
    // The list is filtered again after the input changes: wait until each command listed is one of the new filter's.
    const commands = (shown: string[]): string[] => shown.filter((t) => t.includes('ML Engineer:'));
    const titles = await eventually('the palette filtered by "Model"', () => rows.allInnerTexts(), (shown) => commands(shown).length > 0 && commands(shown).every((t) => /model/i.test(t)), { timeoutMs: 10_000 });
    await page.keyboard.press('Escape');
    assert.ok(titles.some((t) => t.includes('Inspect Model')), titles.join(' | '));
    for (const hidden of ['Optimize Model', 'Deploy Model', 'Benchmark Model', 'Export Model']) {
      assert.ok(!titles.some((t) => t.includes(hidden)), `${hidden} in the palette: ${titles.join(' | ')}`);
    }
  });

  it('run anyway (a keybinding), Optimize says why not and how to trust the workspace, and writes nothing', async () => {
    const before = readdirSync(join(server.workspace, 'models')).sort();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^simple_cnn\.onnx$/ }).click();
    await page.keyboard.press('Control+Alt+Shift+O');
    const toast = page.locator('.notifications-toasts', { hasText: 'Optimize runs your Python and onnxruntime on the model' });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), /In Restricted Mode ML Engineer only reads files: trust this workspace to use it\./);
    assert.equal(await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).count(), 1);
    await saveScreenshot(page, 'restricted-mode-optimize');
    assert.deepEqual(readdirSync(join(server.workspace, 'models')).sort(), before);
  });
});
