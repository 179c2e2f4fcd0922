import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { eventuallyMatches } from '../support/eventually';
import type { CodeServer } from './support/codeServer';
import { lmTestAnswer, lmTestExtensionStarted } from './support/lmTestExtension';
import { findWebviewFrame, runCommand } from './support/workbench';
import { NEXT_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * What VS Code 1.104 (code-server 4.104.0 on Node 22, test/e2e/install-code-server-next.sh) lets
 * another extension reach that 1.100 could not: our MCP server, which VS Code itself starts from our
 * definition provider (contributes.mcpServerDefinitionProviders and
 * vscode.lm.registerMcpServerDefinitionProvider), its tools then offered through vscode.lm.tools; and
 * a chat model registered through the finalised LanguageModelChatProvider API, no proposal enabled,
 * that our chat uses through the Language Model API provider; and @ml in VS Code's Chat view.
 * code-server shows the Chat view only while an extension's default panel participant is registered
 * (Copilot Chat's; its product.json names no default chat agent): test/fixtures/chat-host-extension
 * stands in for it (the defaultChatParticipant proposal, enabled for that extension alone). The
 * test extension's model is the default one, as Copilot's is: a participant's request waits for one.
 */
describe('MCP server and chat model provider on VS Code 1.104 (code-server 4.104, a test extension)', function () {
  let server: CodeServer;
  let page: Page;

  useWorkbench({ profile: NEXT_PROFILE }, async (opened) => {
    ({ server, page } = opened);
    await lmTestExtensionStarted(server);
  });

  const written = <T,>(file: string): Promise<T> => lmTestAnswer<T>(server, file);

  interface ListedTool {
    readonly name: string;
    readonly tags: readonly string[];
    readonly source?: string;
  }

  /** The tools VS Code took from an MCP server named ML Engineer, as the test extension sees them. */
  async function ourMcpTools(): Promise<ListedTool[]> {
    await runCommand(page, 'LM Test: List Language Model Tools');
    return (await written<ListedTool[]>('lm-test-tools.json')).filter((t) => t.tags.includes('mcp') && t.name.startsWith('mcp_ml_engineer_'));
  }

  it('VS Code runs our MCP server from our definition provider; its read tools reach other extensions and answer', async () => {
    // MCP: List Servers shows ours, by the label our provider gave it, and VS Code starts it.
    await runCommand(page, 'MCP: List Servers');
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'ML Engineer: workspace' });
    await row.waitFor({ timeout: 30_000 });
    if (!/Running/.test(await row.innerText())) {
      // Keys, not clicks: a row's hover covers the one below it.
      await input.fill('ML Engineer: workspace');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start Server' }).waitFor({ timeout: 15_000 });
      await input.fill('Start Server');
      await page.keyboard.press('Enter');
    } else {
      await page.keyboard.press('Escape');
    }
    const deadline = Date.now() + 60_000;
    let tools = await ourMcpTools();
    while (tools.length === 0) {
      if (Date.now() > deadline) throw new Error('no tool of our MCP server reached vscode.lm.tools');
      await new Promise((r) => setTimeout(r, 1000));
      tools = await ourMcpTools();
    }
    const names = tools.map((t) => t.name.replace(/^mcp_ml_engineer_[a-z0-9]*_/, ''));
    for (const read of ['inspect_model', 'list_runs', 'gpu_status', 'read_file']) assert.ok(names.includes(read), `${read} missing: ${names.join(', ')}`);
    // The definition starts `ml-engineer mcp` without --allow-write / --allow-execute.
    for (const refused of ['create_file', 'scaffold_deployment', 'run_in_kernel', 'run_command']) assert.ok(!names.includes(refused), `${refused} served: ${names.join(', ')}`);
    assert.ok(tools.every((t) => t.source === 'ML Engineer: workspace'), JSON.stringify(tools.map((t) => t.source)));

    // A call goes to the server's process over stdio and comes back: the ONNX file's real structure.
    await runCommand(page, 'LM Test: Invoke ML Engineer MCP Inspect Model Tool');
    const result = await written<{ ok: boolean; text?: string; error?: string }>('lm-test-mcp.json');
    assert.equal(result.ok, true, result.error);
    assert.match(result.text!, /^models\/simple_cnn\.onnx\n {2}format: onnx/);
    assert.match(result.text!, /operators: Conv 2, MaxPool 2, Relu 2, Gemm 1, Reshape 1/);
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no confirmation for a read-only MCP tool');
  });

  interface ModelRequest {
    readonly api: string;
    readonly extensionId: string;
    readonly tools: string[];
    readonly firstText: string;
    readonly toolResult: string | null;
  }
  const requestsFile = (): string => join(server.workspace, 'lm-test-requests.json');
  const modelRequests = (): ModelRequest[] => JSON.parse(readFileSync(requestsFile(), 'utf8')) as ModelRequest[];

  it('our chat answers on a model from the finalised LanguageModelChatProvider API (no proposal enabled), with our tools', async () => {
    rmSync(requestsFile(), { force: true });
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    const setup = await findWebviewFrame(page, 'section.setup', 60_000);
    await setup.locator('button', { hasText: 'Use VS Code (Copilot) Models' }).click();
    const frame: Frame = await findWebviewFrame(page, 'section.chat textarea', 60_000);
    await frame.locator('select[aria-label="Model"] option[value="lm-test-model"]').waitFor({ state: 'attached', timeout: 30_000 });
    const input = frame.locator('textarea[aria-label="Message"]');
    await input.fill('What is on the GPUs?');
    await input.press('Enter');
    await frame.locator('.msg.assistant', { hasText: 'The GPU tool said:' }).waitFor({ timeout: 60_000 });
    await frame.locator('.tool-card', { hasText: 'gpu_status' }).waitFor();
    // The meter follows the run's last state, which can come after the answer's text.
    await eventuallyMatches('the meter after the answer', () => frame.locator('.meter').innerText(), /^cost unknown · \d+% context$/);
    const requests = modelRequests();
    assert.equal(requests.length, 2);
    assert.ok(requests.every((r) => r.api === 'LanguageModelChatProvider'), requests.map((r) => r.api).join(', '));
    assert.equal(requests[0]!.extensionId, 'mlengineer.ml-engineer');
    assert.ok(requests[0]!.tools.includes('gpu_status') && requests[0]!.tools.includes('read_file'), requests[0]!.tools.join(', '));
    assert.match(requests[0]!.firstText, /^<instructions>/);
    assert.match(requests[1]!.toolResult ?? '', /H100/);
  });

  it('@ml in VS Code’s Chat view answers with our agent, its system prompt and tools, on the model picked there', async () => {
    rmSync(requestsFile(), { force: true });
    const chat = page.locator('.part.auxiliarybar');
    const input = chat.locator('.interactive-input-part .monaco-editor').first();
    await input.waitFor({ timeout: 30_000 });
    await input.click({ position: { x: 30, y: 10 } });
    await page.keyboard.type('@ml What is on the GPUs?');
    await page.keyboard.press('Enter');
    const answer = chat.locator('.monaco-list-row', { hasText: 'The GPU tool said:' });
    await answer.waitFor({ timeout: 60_000 });
    // The answer streams into the row: wait for the tool's words, not just its first ones.
    const said = await eventuallyMatches('the whole answer in the Chat view', () => answer.innerText(), /The GPU tool said: .*H100/);
    assert.match(said, /ML Engineer/);
    const requests = modelRequests();
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.extensionId, 'mlengineer.ml-engineer');
    assert.match(requests[0]!.firstText, /^<instructions>/);
    assert.ok(requests[0]!.tools.includes('gpu_status') && requests[0]!.tools.includes('read_file'), requests[0]!.tools.join(', '));
    assert.match(requests[1]!.toolResult ?? '', /H100/);
  });
});
