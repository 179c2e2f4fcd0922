import * as vscode from 'vscode';
import type { ApiKeyStore } from '../../agent/vscode/apiKeyStore';
import { COMMANDS } from '../../commandIds';
import type { Logger } from '../../common/logger';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type { FromWebview, ToWebview } from '../protocol';

/** Hosts the Chat sidebar: renders its bundle and answers its (validated) messages. */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly apiKeys: ApiKeyStore,
    private readonly log: Logger,
  ) {
    this.disposables.push(apiKeys.onDidChange(() => void this.pushState()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    setWebviewContent(view.webview, this.extensionUri, 'chat', 'ML Engineer Chat');
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      view.onDidDispose(() => (this.view = undefined)),
    );
  }

  private async receive(raw: unknown): Promise<void> {
    // Loaded on the first message, not at activation: the validator costs a few ms to evaluate.
    const { parseFromWebview } = await import('../protocol');
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      this.log.warn(parsed.problem);
      return;
    }
    await this.handle(parsed.message);
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.pushState();
        return;
      case 'setApiKey':
        await vscode.commands.executeCommand(COMMANDS.setApiKey);
        return;
      case 'checkEnvironment':
        await vscode.commands.executeCommand(COMMANDS.doctor);
        return;
    }
  }

  private async pushState(): Promise<void> {
    await this.post({ type: 'state', state: { hasApiKey: await this.apiKeys.has() } });
  }

  private async post(message: ToWebview): Promise<void> {
    await this.view?.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
