import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { eventuallyMatches } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { assertEveryNumberSourced, parseCard } from '../support/modelCardCheck';
import { explorerContextMenu, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/** Write Model Card… from the explorer in code-server + Chromium (#20): the card is written beside the model and opened. */
describe('Model card (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  useWorkbench({ profile: EXAMPLES_PROFILE }, (opened) => void ({ server, page } = opened));

  it('right-click > Write Model Card… on an ONNX model writes MODEL_CARD.md beside it, every number footnoted, and opens it', async () => {
    await explorerContextMenu(page, 'simple_cnn.onnx', 'Write Model Card…', 'models');
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Without a drift check' });
    await pick.waitFor({ timeout: 15_000 });
    await pick.click();
    const tab = page.locator('.tabs-container .tab', { hasText: 'MODEL_CARD.md' });
    await tab.waitFor({ timeout: 60_000 });
    const path = join(server.workspace, 'models', 'MODEL_CARD.md');
    assert.ok(existsSync(path));
    const card = parseCard(readFileSync(path, 'utf8'));
    assert.ok(assertEveryNumberSourced(card) > 10);
    assert.match(card.section('Size and latency').join('\n'), /Latency mean: \S+ ms/);
    assert.ok(card.notFound.some((m) => m.startsWith('drift check: no reference')), card.notFound.join('\n'));
    await page.locator('.monaco-editor .view-lines', { hasText: 'Model card:' }).first().waitFor({ timeout: 15_000 });
    await eventuallyMatches('the model card in the log', () => server.extensionLog(), /model card: .*MODEL_CARD\.md, \d+ sourced facts/);
    await saveScreenshot(page, 'model-card');
  });
});
