import type * as vscode from 'vscode';
import type { Tool } from '../../agent/tools/tool';
import type { ApiKeyStore } from '../../agent/vscode/apiKeyStore';
import type { Logger } from '../../common/logger';
import { reportError } from '../../common/vscode/commandRegistry';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type { ToWebview } from '../protocol';
import { ChatController } from './chatController';
import type { EditorActions } from './editorActions';

/** Hosts the Chat sidebar: renders its bundle, validates what it sends, hands it to the controller. */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly extensionUri: vscode.Uri;
  private readonly controller: ChatController;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    apiKeys: ApiKeyStore,
    editor: EditorActions,
    private readonly log: Logger,
    featureTools: () => Tool[],
  ) {
    this.controller = new ChatController(context, apiKeys, editor, log, (message) => this.post(message), featureTools);
    this.extensionUri = context.extensionUri;
    this.disposables.push(this.controller, apiKeys.onDidChange(() => void this.controller.pushState()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    setWebviewContent(view.webview, this.extensionUri, 'chat', 'ML Engineer Chat', undefined, { blobWorkers: true });
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      // Only the view being disposed is forgotten: a view restored (resolved again) before the old
      // one's dispose event arrives must keep receiving messages, or it stays blank.
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
      }),
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
    try {
      await this.controller.handle(parsed.message);
    } catch (error) {
      await reportError(this.log, error, `chat: ${parsed.message.type}`);
    }
  }

  private async post(message: ToWebview): Promise<void> {
    await this.view?.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
