import * as vscode from 'vscode';
import { COMMANDS } from '../../commandIds';
import type { Logger } from '../../common/logger';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { validateApiKeyInput } from '../apiKeyFormat';
import type { ApiKeyStore } from './apiKeyStore';
import { OpenAiCompatibleKeyStore } from './openAiCompatibleKeyStore';

export function registerApiKeyCommands(context: vscode.ExtensionContext, log: Logger, store: ApiKeyStore): void {
  registerCommand(context, log, COMMANDS.setApiKey, async () => {
    const key = await vscode.window.showInputBox({
      title: 'Anthropic API Key',
      prompt: 'Kept in VS Code secret storage on this machine; never written to settings or logs.',
      placeHolder: 'sk-ant-...',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => validateApiKeyInput(value),
    });
    if (key === undefined) return;
    await store.set(key.trim());
    log.info('Anthropic API key saved to secret storage');
    void vscode.window.showInformationMessage('ML Engineer: Anthropic API key saved.');
  });

  registerCommand(context, log, COMMANDS.clearApiKey, async () => {
    const confirm = await vscode.window.showWarningMessage('Remove the Anthropic API key from secret storage?', { modal: true }, 'Remove');
    if (confirm !== 'Remove') return;
    await store.clear();
    log.info('Anthropic API key removed from secret storage');
  });

  const openai = new OpenAiCompatibleKeyStore(context.secrets);
  registerCommand(context, log, COMMANDS.setOpenAiCompatibleApiKey, async () => {
    const key = await vscode.window.showInputBox({
      title: 'OpenAI-Compatible Endpoint: API Key',
      prompt: 'For vLLM --api-key, LiteLLM and hosted endpoints (Ollama and LM Studio need none). Kept in VS Code secret storage; never written to settings or logs.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === '' ? 'Enter the key, or press Escape.' : /\s/.test(value.trim()) ? 'A key has no spaces.' : undefined),
    });
    if (key === undefined) return;
    await openai.set(key.trim());
    log.info('OpenAI-compatible API key saved to secret storage');
    void vscode.window.showInformationMessage('ML Engineer: API key for the OpenAI-compatible endpoint saved.');
  });

  registerCommand(context, log, COMMANDS.clearOpenAiCompatibleApiKey, async () => {
    await openai.clear();
    log.info('OpenAI-compatible API key removed from secret storage');
  });
}
