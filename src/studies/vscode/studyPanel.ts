import * as vscode from 'vscode';
import { VIEW_TYPES } from '../../commandIds';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import { parseFromStudyView, type ToStudyView } from '../protocol';
import type { StudyCatalog } from '../studyCatalog';
import { buildStudyView } from '../studyViewData';
import type { RunIndex } from '../trialRuns';

/** One editor panel per study, redrawn when its file changes (the catalog polls it). */
export class StudyPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; last?: ToStudyView }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly studies: StudyCatalog,
    private readonly runIndex: () => RunIndex,
    private readonly showRun: (runKey: string) => Promise<void>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get open(): boolean {
    return this.panels.size > 0;
  }

  show(key: string): void {
    const existing = this.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      this.update(key);
      return;
    }
    const study = this.studies.findStudy(key);
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.study, `Study: ${study?.name ?? key}`, vscode.ViewColumn.Active, { retainContextWhenHidden: true });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icons', 'activity-bar.svg');
    const entry: { panel: vscode.WebviewPanel; last?: ToStudyView } = { panel };
    this.panels.set(key, entry);
    setWebviewContent(panel.webview, this.extensionUri, 'studies', `Study: ${study?.name ?? key}`);
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseFromStudyView(raw);
      if (message?.type === 'ready' && entry.last) void panel.webview.postMessage(entry.last);
      if (message?.type === 'openRun') {
        const trial = this.studies.findStudy(key)?.trials.find((t) => t.number === message.trial);
        const run = trial ? this.runIndex().runOf(trial) : undefined;
        if (run) this.showRun(run.key).catch((error: unknown) => void vscode.window.showWarningMessage((error as Error).message));
      }
    });
    panel.onDidDispose(() => this.panels.delete(key));
    this.update(key);
  }

  /** Sends the study again (all open panels when no key). */
  update(key?: string): void {
    for (const [k, entry] of this.panels) {
      if (key !== undefined && k !== key) continue;
      const study = this.studies.findStudy(k);
      const file = this.studies.fileOf(k);
      const index = this.runIndex();
      const message: ToStudyView = study && file ? buildStudyView(study, file.path, file.problems, (t) => index.runOf(t)?.name) : { type: 'gone', reason: 'This study is no longer in its file (the file was removed or replaced).' };
      entry.last = message;
      entry.panel.webview.postMessage(message).then(undefined, (error: unknown) => this.log.warn(`study view: ${(error as Error).message}`));
    }
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
  }
}
