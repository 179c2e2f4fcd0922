import * as vscode from 'vscode';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type { ToGpuView } from '../protocol';
import { VIEW_TYPES } from '../../commandIds';
import { isReadyMessage } from '../../webview/readyMessage';

/** The GPU charts: one editor panel per window, fed by the GPU monitor while it is open. */
export class GpuPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private last: ToGpuView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onVisibility: (open: boolean) => void,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.gpuCharts, 'GPUs', vscode.ViewColumn.Active, { retainContextWhenHidden: false });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icons', 'activity-bar.svg');
    setWebviewContent(panel.webview, this.extensionUri, 'gpu', 'GPUs');
    panel.webview.onDidReceiveMessage((message: unknown) => {
      // The page asks for the current state when it (re)loads; nothing else comes from it.
      if (isReadyMessage(message) && this.last) void panel.webview.postMessage(this.last);
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.onVisibility(false);
    });
    this.panel = panel;
    this.onVisibility(true);
  }

  post(message: ToGpuView): void {
    this.last = message;
    if (this.panel?.visible) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
