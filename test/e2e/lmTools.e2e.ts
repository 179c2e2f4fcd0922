import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { FEATURE_LOG_PREFIX } from '../../src/common/heavyModules';
import { eventually, eventuallyMatches } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { lmTestAnswer, lmTestExtensionStarted } from './support/lmTestExtension';
import { findWebviewFrame, runCommand } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * Copilot's side of ML Engineer, from a second extension in the same code-server (1.100.3):
 * test/fixtures/lm-test-extension calls our language model tools through vscode.lm.invokeTool, as
 * Copilot's agent mode does (without a chat request VS Code asks in a dialog, with our
 * confirmation's title and text), and registers a chat model through the proposed chatProvider
 * API (--enable-proposed-api mlengineer-test.lm-test) that our chat then uses through the
 * Language Model API provider. The @ml participant needs the Chat view, which code-server shows
 * only with GitHub Copilot Chat installed: not driven here.
 */
describe('Language model tools and the Language Model API provider (code-server, a test extension)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench({ profile: EXAMPLES_PROFILE }, async (opened) => {
    ({ server, page } = opened);
    await lmTestExtensionStarted(server);
  });

  const resultOf = (file: string): Promise<{ ok: boolean; text?: string; error?: string }> => lmTestAnswer(server, file);

  it('a read tool runs without asking: gpu_status loads its features on the first call and answers', async () => {
    await runCommand(page, 'LM Test: Invoke GPU Status Tool');
    const result = await resultOf('lm-test-gpu.json');
    assert.equal(result.ok, true, result.error);
    assert.match(result.text!, /H100/);
    // The log reaches its file within a flush: wait for the chat feature's load.
    const loads = (): string[] => server.extensionLog().split('\n').filter((l) => l.includes(FEATURE_LOG_PREFIX));
    await eventually('the chat feature loaded for Copilot, in the log', loads, (lines) => lines.some((l) => l.includes('"feature":"chat"') && l.includes('Copilot')));
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no confirmation for a read tool');
  });

  it('a write tool asks first, saying what it writes: declined it writes nothing, allowed it writes', async () => {
    const deploy = join(server.workspace, 'deploy');
    await runCommand(page, 'LM Test: Invoke Scaffold Deployment Tool');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const said = await dialog.innerText();
    assert.match(said, /ML Engineer: scaffold deployment/);
    assert.match(said, /changes files in your workspace/);
    assert.match(said, /deploy\/simple_cnn-fastapi/);
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
    const declined = await resultOf('lm-test-scaffold.json');
    assert.equal(declined.ok, false);
    assert.equal(existsSync(deploy), false, 'nothing written when declined');

    await runCommand(page, 'LM Test: Invoke Scaffold Deployment Tool');
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button').filter({ hasNotText: /^(Cancel|No)$/ }).first().click();
    const allowed = await resultOf('lm-test-scaffold.json');
    assert.equal(allowed.ok, true, allowed.error);
    assert.match(allowed.text!, /Wrote the fastapi deployment of simple_cnn/);
    assert.ok(existsSync(join(deploy, 'simple_cnn-fastapi')), 'the scaffold was written');
  });

  it('our chat answers through VS Code’s Language Model API on another extension’s model, with our tools', async () => {
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    const setup = await findWebviewFrame(page, 'section.setup', 60_000);
    await setup.locator('button', { hasText: 'Use VS Code (Copilot) Models' }).click();
    const frame: Frame = await findWebviewFrame(page, 'section.chat textarea', 60_000);
    await frame.locator('select[aria-label="Model"] option[value="lm-test-model"]').waitFor({ state: 'attached', timeout: 30_000 });
    const input = frame.locator('textarea[aria-label="Message"]');
    await input.fill('What is on the GPUs?');
    await input.press('Enter');
    const answer = frame.locator('.msg.assistant', { hasText: 'The GPU tool said:' });
    await answer.waitFor({ timeout: 60_000 });
    await frame.locator('.tool-card', { hasText: 'gpu_status' }).waitFor();
    // The meter follows the run's last state, which can come after the answer's text.
    await eventuallyMatches('the meter after the answer', () => frame.locator('.meter').innerText(), /^cost unknown · \d+% context$/);
    const requests = JSON.parse(readFileSync(join(server.workspace, 'lm-test-requests.json'), 'utf8')) as { extensionId: string; tools: string[]; firstText: string; toolResult: string | null }[];
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.extensionId, 'mlengineer.ml-engineer');
    assert.ok(requests[0]!.tools.includes('gpu_status') && requests[0]!.tools.includes('read_file'), requests[0]!.tools.join(', '));
    assert.match(requests[0]!.firstText, /^<instructions>/);
    assert.match(requests[1]!.toolResult ?? '', /H100/);
  });
});
