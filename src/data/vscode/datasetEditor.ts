import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSource } from '../datasetSource';
import { SummaryStore } from '../summaryStore';
import { attachDatasetGrid, type DatasetGridOptions } from './datasetPanel';

/** Opens the engine's source for a data file (src/data/engine/), with what its grid offers (Compare with…, Copy as Code). */
export type OpenFileSource = (uri: vscode.Uri) => { source: DatasetSource; options: DatasetGridOptions };

/**
 * Data files open read-only in the Dataset grid, one engine source per editor: the file is never
 * loaded into the extension host, only the rows in view cross. A change on disk tells the page,
 * which asks for its view again (summaries are cached per file version).
 */
export class DatasetEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly openSource: OpenFileSource,
    private readonly summaryStore?: SummaryStore,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const uri = document.uri;
    const { source, options } = this.openSource(uri);
    const grid = attachDatasetGrid(panel, this.extensionUri, this.log, source, basename(uri.fsPath), { ...options, ...(this.summaryStore ? { summaryStore: this.summaryStore } : {}) });
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri.fsPath)));
    const changed = (): void => void grid.refresh();
    watcher.onDidChange(changed);
    watcher.onDidCreate(changed);
    panel.onDidDispose(() => {
      watcher.dispose();
    });
  }
}

/**
 * The summaries' store in the extension's global storage, not the workspace's: a file opened with
 * no folder open (the window has no storageUri then) is cached too, and a file two workspaces share
 * is profiled once; the store is bounded (4 MB) either way. Salted with the extension's version and
 * this bundle's build time, so summaries computed by other code are never shown.
 */
export function summaryStoreIn(context: vscode.ExtensionContext): SummaryStore | undefined {
  if (context.globalStorageUri.scheme !== 'file') return undefined;
  let built = 0;
  try {
    built = Math.trunc(statSync(__filename).mtimeMs);
  } catch {
    // No bundle to read (tests): the version alone.
  }
  const { version } = context.extension.packageJSON as { version?: unknown };
  return new SummaryStore(join(context.globalStorageUri.fsPath, 'dataset-summaries'), { salt: `${typeof version === 'string' ? version : ''}:${built}` });
}
