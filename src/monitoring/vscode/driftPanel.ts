import * as vscode from 'vscode';
import { VIEW_TYPES } from '../../commandIds';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import { driftJson, driftMarkdown } from '../driftReport';
import type { DriftResult } from '../driftScan';
import { driftView } from '../driftView';
import { parseFromDriftView, type ExportFormat, type ToDriftView } from '../protocol';

// The drift report beside the editor (media/drift/, the strict CSP of every webview): the view
// model is sent once the view says it is ready, and again when the comparison is rerun (a column's
// statistic changed). Export as Markdown / JSON write only where the user picks in a save dialog.

export interface DriftPanel {
  /** Shows a (new) result in the panel, opening it again if it was closed. */
  show(result: DriftResult): void;
}

/** `defaultUri`: where the save dialog starts for each format (named after the two inputs). */
export function driftPanel(context: vscode.ExtensionContext, defaultUri: (format: ExportFormat) => vscode.Uri | undefined): DriftPanel {
  let panel: vscode.WebviewPanel | undefined;
  let result: DriftResult | undefined;
  let view: ToDriftView | undefined;

  async function exportAs(target: vscode.WebviewPanel, format: ExportFormat): Promise<void> {
    if (!result) return;
    const json = format === 'json';
    const start = defaultUri(format);
    const uri = await vscode.window.showSaveDialog({ ...(start ? { defaultUri: start } : {}), title: `Export the drift report as ${json ? 'JSON' : 'Markdown'}`, filters: json ? { JSON: ['json'] } : { Markdown: ['md'] } });
    if (!uri) return void target.webview.postMessage({ type: 'exported', format } satisfies ToDriftView);
    try {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(json ? driftJson(result) : driftMarkdown(result), 'utf8'));
      void target.webview.postMessage({ type: 'exported', format, path: vscode.workspace.asRelativePath(uri) } satisfies ToDriftView);
    } catch (error) {
      void target.webview.postMessage({ type: 'exported', format, error: (error as Error).message } satisfies ToDriftView);
    }
  }

  function open(): vscode.WebviewPanel {
    const created = vscode.window.createWebviewPanel(VIEW_TYPES.driftReport, 'Drift report', { viewColumn: vscode.ViewColumn.Active }, { retainContextWhenHidden: true });
    created.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icons', 'activity-bar.svg');
    setWebviewContent(created.webview, context.extensionUri, 'drift', 'Drift report');
    created.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseFromDriftView(raw);
      if (message?.type === 'ready' && view) void created.webview.postMessage(view);
      else if (message?.type === 'export') exportAs(created, message.format).catch((error: unknown) => void vscode.window.showWarningMessage((error as Error).message));
    });
    created.onDidDispose(() => (panel = undefined));
    return created;
  }

  return {
    show(next) {
      result = next;
      view = driftView(next);
      if (panel) {
        panel.reveal(undefined, true);
        void panel.webview.postMessage(view);
      } else panel = open();
      panel.title = view.title;
    },
  };
}
