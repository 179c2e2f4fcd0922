import { basename } from 'node:path';
import * as vscode from 'vscode';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type * as ModelsCore from '../lazy/modelsCore';
import type { FromModelView, ToModelView } from '../protocol';
import { VIEW_TYPES } from '../../commandIds';

export const MODEL_VIEWER = VIEW_TYPES.modelViewer;

/**
 * Model files open in a read-only viewer: summary, inputs and outputs, operators, tensors and
 * metadata, read from the file's header (never its weights) and read again when the file changes.
 */
export class ModelViewerProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly core: () => typeof ModelsCore,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    setWebviewContent(panel.webview, this.extensionUri, 'model', basename(document.uri.fsPath));
    const post = (): void => {
      void panel.webview.postMessage(this.describe(document.uri));
    };
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(document.uri, '..'), basename(document.uri.fsPath)));
    panel.onDidDispose(() => {
      watcher.dispose();
    });
    watcher.onDidChange(post);
    watcher.onDidCreate(post);
    panel.webview.onDidReceiveMessage((message: FromModelView) => {
      if (message.type === 'ready') post();
    });
  }

  private describe(uri: vscode.Uri): ToModelView {
    try {
      return { type: 'model', info: { ...this.core().inspectModel(uri.fsPath), path: vscode.workspace.asRelativePath(uri) } };
    } catch (error) {
      if (!(error instanceof this.core().ModelFormatError)) this.log.warn(`model viewer: ${uri.fsPath}: ${(error as Error).message}`);
      return { type: 'error', path: vscode.workspace.asRelativePath(uri), message: (error as Error).message };
    }
  }
}

export function registerModelViewer(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, core: () => typeof ModelsCore): void {
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(MODEL_VIEWER, new ModelViewerProvider(context.extensionUri, log, core), { supportsMultipleEditorsPerDocument: true }),
  );
}
