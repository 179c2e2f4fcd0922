import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { transformerOnnx } from '../support/transformerOnnx';
import type { CodeServer } from './support/codeServer';
import { findWebviewFrame, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/** The model graph view in code-server + Chromium: opened from the model viewer, scopes expanded, searched, back to the summary. */
describe('Model graph (code-server)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      // A 2-layer decoder, named as torch.onnx names its nodes (/model/layers.0/self_attn/...).
      prepare: (workspace) => writeFileSync(join(workspace, 'models', 'tiny_llm.onnx'), transformerOnnx({ layers: 2 })),
    },
    (opened) => void ({ server, page } = opened),
  );

  it('opens from the model viewer collapsed by name scope, expands a scope on click and by keyboard, searches, follows a tensor', async () => {
    // Quick Open: .onnx files open in the model viewer; its title bar has Show Model Graph.
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('tiny_llm.onnx');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'tiny_llm.onnx' }).first().click();
    await findWebviewFrame(page, 'table[aria-label="Summary"]', 60_000);
    await page.locator('.editor-actions [aria-label="Show Model Graph"]').click();
    const graph: Frame = await findWebviewFrame(page, 'svg[aria-label="Model graph"] .item.scope', 60_000);

    // Collapsed: the model scope, lm_head's MatMul, the two inputs and the output.
    const model = graph.locator('.item.scope[aria-label="Expand model"]');
    await model.waitFor();
    assert.equal(await graph.locator('.item.node').count(), 1);
    assert.match(await graph.locator('.bar .status').innerText(), /5 items shown \(1 nodes\) of \d{3}/);
    const firstPaint = Number(await graph.locator('svg[aria-label="Model graph"]').getAttribute('data-first-paint-ms'));
    assert.ok(firstPaint > 0);

    // A click opens model: its layers appear as scopes inside its box.
    await model.click();
    const layer0 = graph.locator('.item.scope[aria-label="Expand layers.0"]');
    await layer0.waitFor({ timeout: 30_000 });
    assert.equal(await graph.locator('.box-title[aria-label="Collapse model"]').count(), 1);
    // Keyboard: focus layers.0 and press Enter; then self_attn the same way.
    await layer0.focus();
    await page.keyboard.press('Enter');
    const attn = graph.locator('.item.scope[aria-label="Expand self_attn"]');
    await attn.waitFor({ timeout: 30_000 });
    await attn.focus();
    await page.keyboard.press('Enter');
    // q_proj's one MatMul shows in self_attn, labelled with its module.
    await graph.locator('.item.node[data-op="MatMul"]', { hasText: 'MatMul · q_proj' }).waitFor({ timeout: 30_000 });
    assert.equal(await graph.locator('.box-title[aria-label="Collapse model/layers.0/self_attn"]').count(), 1);
    await saveScreenshot(page, 'model-graph');

    // Search by operator: both layers' Softmax; a result opens the scopes around it and selects it.
    await graph.locator('input[aria-label="Search nodes"]').fill('softmax');
    await graph.locator('.side h2', { hasText: '2 nodes match' }).waitFor();
    const results = graph.locator('ul[aria-label="Search results"] button');
    assert.deepEqual(await results.allInnerTexts(), ['Softmax · /model/layers.0/self_attn/Softmax', 'Softmax · /model/layers.1/self_attn/Softmax']);
    await results.nth(1).click();
    await graph.locator('.item.node.selected[data-op="Softmax"]').waitFor({ timeout: 30_000 });
    assert.equal(await graph.locator('.box-title[aria-label="Collapse model/layers.1/self_attn"]').count(), 1);
    assert.match(await graph.locator('table[aria-label="Node"]').innerText(), /Scope\s+model\/layers\.1\/self_attn/);
    assert.match(await graph.locator('table[aria-label="Attributes"]').innerText(), /axis\s+-1/);

    // Follow its output to the consumer (the Cast), and a weight to its statistics.
    await graph.locator('table[aria-label="Outputs"] button').first().click();
    assert.deepEqual(await graph.locator('ul[aria-label="Consumers"] button').allInnerTexts(), ['Cast · /model/layers.1/self_attn/Cast']);
    await graph.locator('input[aria-label="Search nodes"]').fill('layers.1.mlp.up_proj');
    await graph.locator('ul[aria-label="Tensor results"] button', { hasText: 'model.layers.1.mlp.up_proj.weight' }).click();
    assert.match(await graph.locator('table[aria-label="Tensor"]').innerText(), /Type\s+float32\[64, 128\][\s\S]*Size\s+32,768 bytes/);
    await graph.locator('button', { hasText: 'Value statistics' }).click();
    const stats = await graph.locator('table[aria-label="Value statistics"]').innerText({ timeout: 30_000 });
    assert.match(stats, /Values\s+8,192 \(8,192 read, 32,768 bytes\)/);
    assert.match(stats, /Min\s+-0\.02\n/);
    assert.match(stats, /NaN\s+0/);

    // Summary jumps back to the model viewer.
    await graph.locator('button', { hasText: 'Summary' }).click();
    await page.locator('.tab.active', { hasText: 'tiny_llm.onnx' }).first().waitFor({ timeout: 15_000 });
    assert.doesNotMatch(server.extensionLog(), /model graph: .*(warn|error)/i);
  });
});
