import * as vscode from 'vscode';
import { VIEW_TYPES } from '../../commandIds';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type { DatasetColumn, DatasetOrigin, DatasetSource, DatasetView } from '../datasetSource';
import { DatasetSession, type DatasetActions } from '../datasetSession';
import type { SummaryStore } from '../summaryStore';
import { parseFromDataView, type CodeLanguage, type CompareRequest, type DatasetComparison, type DatasetHeading } from '../protocol';

export interface DatasetGridOptions {
  /** The code that reproduces a view (src/data/copyAsCode.ts); without it the page offers no Copy as Code. */
  readonly copyAsCode?: (origin: DatasetOrigin, view: DatasetView, language: CodeLanguage, columns: readonly DatasetColumn[]) => string | Promise<string>;
  /** Compares with a second file the person picks; files only. */
  readonly compare?: (view: DatasetView, signal: AbortSignal, request: CompareRequest) => Promise<DatasetComparison | undefined>;
  /** Disposes the source when the grid closes (default true). */
  readonly disposeSource?: boolean;
  /** Keeps a file's column summaries across grids and windows (datasetEditor.ts summaryStoreIn). */
  readonly summaryStore?: Pick<SummaryStore, 'get' | 'put'>;
}

/** A live grid: tell it when the data changed (a cell ran, the file was rewritten). */
export interface DatasetGrid extends vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  refresh(): Promise<void>;
}

/**
 * Puts the Dataset grid (media/data/) in `panel` and serves it from `source`: every message is
 * checked (src/data/protocol.ts) before DatasetSession acts on it, and the source is disposed with
 * the panel. Used by the custom editor for files and by openDatasetPanel for everything else.
 */
export function attachDatasetGrid(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, source: DatasetSource, title: string, options: DatasetGridOptions = {}): DatasetGrid {
  setWebviewContent(panel.webview, extensionUri, 'data', title);
  const heading: DatasetHeading = { title, kind: source.origin.kind, canCompare: options.compare !== undefined, canCopyCode: options.copyAsCode !== undefined };
  const actions: DatasetActions = {
    writeClipboard: async (text) => vscode.env.clipboard.writeText(text),
    ...(options.copyAsCode ? { copyAsCode: options.copyAsCode } : {}),
    ...(options.compare ? { compare: options.compare } : {}),
    logFault: (message) => log.warn(message),
  };
  const session = new DatasetSession(source, heading, (message) => panel.webview.postMessage(message), actions, options.summaryStore);
  const subscriptions: vscode.Disposable[] = [
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseFromDataView(raw);
      if (!message) {
        log.warn('dataset grid: ignored a message the page should not send');
        return;
      }
      session.handle(message).catch((error: unknown) => log.warn(`dataset grid: ${(error as Error).message}`));
    }),
  ];
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    session.dispose();
    for (const s of subscriptions) s.dispose();
    if (options.disposeSource !== false) source.dispose().catch((error: unknown) => log.warn(`dataset grid: closing ${title}: ${(error as Error).message}`));
  };
  subscriptions.push(panel.onDidDispose(dispose));
  return {
    panel,
    refresh: () => session.changed(),
    dispose: () => {
      panel.dispose();
    },
  };
}

/**
 * Opens `source` in a Dataset grid of its own (a kernel DataFrame, a query result): the entry
 * point for other features. The source is disposed when the panel closes.
 */
export function openDatasetPanel(
  source: DatasetSource,
  title: string,
  env: { readonly extensionUri: vscode.Uri; readonly log: vscode.LogOutputChannel },
  options: DatasetGridOptions & { readonly viewColumn?: vscode.ViewColumn } = {},
): DatasetGrid {
  const panel = vscode.window.createWebviewPanel(VIEW_TYPES.datasetPanel, title, options.viewColumn ?? vscode.ViewColumn.Active, { retainContextWhenHidden: true });
  return attachDatasetGrid(panel, env.extensionUri, env.log, source, title, options);
}
