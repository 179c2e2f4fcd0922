import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSource } from '../datasetSource';
import { attachDatasetGrid, type DatasetGridOptions } from './datasetPanel';

/** Opens the engine's source for a data file (src/data/engine/). */
export type OpenFileSource = (uri: vscode.Uri) => DatasetSource;

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
    private readonly options: (uri: vscode.Uri) => DatasetGridOptions,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const uri = document.uri;
    const grid = attachDatasetGrid(panel, this.extensionUri, this.log, this.openSource(uri), basename(uri.fsPath), this.options(uri));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri.fsPath)));
    const changed = (): void => void grid.refresh();
    watcher.onDidChange(changed);
    watcher.onDidCreate(changed);
    panel.onDidDispose(() => {
      watcher.dispose();
    });
  }
}
