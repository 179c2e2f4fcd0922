import * as vscode from 'vscode';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type { ToGpuView } from '../protocol';
import { VIEW_TYPES } from '../../commandIds';
import { isReadyMessage } from '../../webview/readyMessage';
import type { Logger } from '../../common/logger';

/** A page that has not said "ready" this long after it was given its HTML is logged. */
const READY_WITHIN_MS = 10_000;

/** The GPU charts: one editor panel per window, fed by the GPU monitor while it is open. */
export class GpuPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private last: ToGpuView | undefined;
  /** The page has said "ready" since it was last (re)loaded: only then is it posted to. */
  private pageReady = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onVisibility: (open: boolean) => void,
    private readonly log: Logger,
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
    this.pageReady = false;
    let ready = false;
    // A full CI run once left the panel blank: the page never ran because code-server's shared
    // service worker did not serve it. Loading the HTML again cannot cure that, so a visible page
    // that stays silent is only logged, to tell that case from a page of ours that fails.
    setWebviewContent(panel.webview, this.extensionUri, 'gpu', 'GPUs');
    const timer = setTimeout(() => {
      if (ready || this.panel !== panel || !panel.visible) return;
      this.log.warn(`GPU charts: the page did not load within ${READY_WITHIN_MS / 1000} s (code-server's webview service worker?)`);
    }, READY_WITHIN_MS);
    panel.webview.onDidReceiveMessage((message: unknown) => {
      // The page asks for the current state when it (re)loads; nothing else comes from it.
      if (!isReadyMessage(message)) return;
      ready = true;
      this.pageReady = true;
      if (this.last) void panel.webview.postMessage(this.last);
    });
    // Hidden, the page is unloaded (no retained context); shown again, it loads and says "ready".
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.pageReady = false;
    });
    panel.onDidDispose(() => {
      clearTimeout(timer);
      this.panel = undefined;
      this.onVisibility(false);
    });
    this.panel = panel;
    this.onVisibility(true);
  }

  post(message: ToGpuView): void {
    this.last = message;
    // Nothing is posted to a page still loading: it asks for the last state when it is ready.
    if (this.panel?.visible && this.pageReady) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
