import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSource } from '../datasetSource';
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
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const uri = document.uri;
    const { source, options } = this.openSource(uri);
    const grid = attachDatasetGrid(panel, this.extensionUri, this.log, source, basename(uri.fsPath), options);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri.fsPath)));
    const changed = (): void => void grid.refresh();
    watcher.onDidChange(changed);
    watcher.onDidCreate(changed);
    panel.onDidDispose(() => {
      watcher.dispose();
    });
  }
}
