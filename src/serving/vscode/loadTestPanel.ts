import * as vscode from 'vscode';
import { VIEW_TYPES } from '../../commandIds';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import { parseFromLoadTestView, type LoadTestView } from '../protocol';

// A load test's charts in a panel beside the editor (media/loadtest/, the strict CSP of every
// webview): sent once the view says it is ready; its one action opens the Markdown report.

export function showLoadTestChart(context: vscode.ExtensionContext, view: LoadTestView, openReport: () => Promise<void>): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(VIEW_TYPES.loadTest, view.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { retainContextWhenHidden: true });
  panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icons', 'activity-bar.svg');
  setWebviewContent(panel.webview, context.extensionUri, 'loadtest', view.title);
  panel.webview.onDidReceiveMessage((raw: unknown) => {
    const message = parseFromLoadTestView(raw);
    if (message?.type === 'ready') void panel.webview.postMessage(view);
    else if (message?.type === 'openReport') openReport().catch((error: unknown) => void vscode.window.showWarningMessage((error as Error).message));
  });
  return panel;
}
