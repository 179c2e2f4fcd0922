import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { FeatureHost } from '../../activation/featureHost';
import { isUserError } from '../../common/errors';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type * as ModelsCore from '../lazy/modelsCore';
import type { ModelInfo } from '../modelInfo';
import type { ToModelView } from '../protocol';
import { VIEW_TYPES } from '../../commandIds';
import { isReadyMessage } from '../../webview/readyMessage';

export const MODEL_VIEWER = VIEW_TYPES.modelViewer;

/** Reads a model file off the extension host's thread, within the readers' budget (modelReader.ts). */
export type InspectModel = (uri: vscode.Uri, signal?: AbortSignal) => Promise<ModelInfo>;

/**
 * Model files open in a read-only viewer: summary, inputs and outputs, operators, tensors and
 * metadata, read from the file's header (never its weights) and read again when the file changes.
 * The read runs in a worker: a hostile file shows an error when its budget runs out, and every
 * other editor and extension keeps working meanwhile.
 */
export class ModelViewerProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly core: () => typeof ModelsCore,
    private readonly inspect: InspectModel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    setWebviewContent(panel.webview, this.extensionUri, 'model', basename(document.uri.fsPath));
    const closed = new AbortController();
    // One read at a time per panel; changes that arrive during a read ask for one more after it.
    let reading: Promise<void> | undefined;
    let again = false;
    const post = (): void => {
      if (reading) {
        again = true;
        return;
      }
      reading = this.describe(document.uri, closed.signal).then(async (message) => {
        if (!closed.signal.aborted) await panel.webview.postMessage(message);
      });
      void reading.finally(() => {
        reading = undefined;
        if (again && !closed.signal.aborted) {
          again = false;
          post();
        }
      });
    };
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(document.uri, '..'), basename(document.uri.fsPath)));
    panel.onDidDispose(() => {
      closed.abort();
      watcher.dispose();
    });
    watcher.onDidChange(post);
    watcher.onDidCreate(post);
    panel.webview.onDidReceiveMessage((message: unknown) => {
      if (isReadyMessage(message)) post();
    });
  }

  private async describe(uri: vscode.Uri, signal: AbortSignal): Promise<ToModelView> {
    const path = vscode.workspace.asRelativePath(uri);
    try {
      return { type: 'model', info: { ...(await this.inspect(uri, signal)), path } };
    } catch (error) {
      // A damaged file or an overrun is the file's problem, said in the viewer; anything else is ours.
      if (!(error instanceof this.core().ModelFormatError) && !isUserError(error)) this.log.warn(`model viewer: ${uri.fsPath}: ${(error as Error).message}`);
      else if (isUserError(error)) this.log.info(`model viewer: ${error.message}`);
      return { type: 'error', path, message: (error as Error).message };
    }
  }
}

/** The viewer behind the provider activation registered for MODEL_VIEWER (supportsMultipleEditorsPerDocument). */
export function registerModelViewer(host: FeatureHost, core: () => typeof ModelsCore, inspect: InspectModel): void {
  host.modelViewer(new ModelViewerProvider(host.context.extensionUri, host.log, core, inspect));
}
