import * as vscode from 'vscode';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import { buildCompareData, type CompareLines } from '../compareData';
import type { ToCompareView } from '../protocol';
import type { RunCatalog } from '../runCatalog';
import { VIEW_TYPES } from '../../commandIds';
import { isReadyMessage } from '../../webview/readyMessage';

/** "Compare Runs": one editor panel with the chosen runs' curves, updated while they train. */
export class ComparePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private runKeys: string[] = [];
  private focus: string | undefined;
  private lines: CompareLines | undefined;
  private last: ToCompareView | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly catalog: RunCatalog,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** `lines` names each run's line (a run may then come twice, under two names). */
  async show(runKeys: readonly string[], focus?: string, lines?: CompareLines): Promise<void> {
    this.runKeys = [...runKeys];
    this.focus = focus;
    this.lines = lines;
    const title = lines ? lines.title : runKeys.length === 1 ? `Run: ${this.catalog.findRun(runKeys[0]!)?.name ?? ''}` : `Compare ${runKeys.length} Runs`;
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal();
      // A new page: its first message chooses the metrics again.
      setWebviewContent(this.panel.webview, this.extensionUri, 'compare', title);
    } else {
      const panel = vscode.window.createWebviewPanel(VIEW_TYPES.compareRuns, title, vscode.ViewColumn.Active, { retainContextWhenHidden: true });
      panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icons', 'activity-bar.svg');
      setWebviewContent(panel.webview, this.extensionUri, 'compare', title);
      panel.webview.onDidReceiveMessage((message: unknown) => {
        if (isReadyMessage(message) && this.last) void panel.webview.postMessage(this.last);
      });
      panel.onDidDispose(() => (this.panel = undefined));
      this.panel = panel;
    }
    this.last = undefined;
    await this.update();
  }

  /** Re-reads the runs' curves (called when their source changed on disk). */
  update(): Promise<void> {
    if (!this.panel) return Promise.resolve();
    this.pending ??= (async () => {
      try {
        const found = this.runKeys.map((k, i) => [this.catalog.findRun(k), this.lines?.labels[i]] as const).filter(([r]) => r !== undefined);
        const data = await buildCompareData(this.catalog, found.map(([r]) => r!), this.focus, undefined, this.lines && found.map(([r, label]) => label ?? r!.name));
        this.last = data;
        await this.panel?.webview.postMessage(data);
      } catch (error) {
        this.log.warn(`compare runs: ${(error as Error).message}`);
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  shows(sourceId: string): boolean {
    return this.panel !== undefined && this.runKeys.some((k) => k.startsWith(`${sourceId}#`));
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
