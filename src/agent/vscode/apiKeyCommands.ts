import * as vscode from 'vscode';
import { COMMANDS } from '../../commandIds';
import type { Logger } from '../../common/logger';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { validateApiKeyInput } from '../apiKeyFormat';
import type { ApiKeyStore } from './apiKeyStore';

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
}
