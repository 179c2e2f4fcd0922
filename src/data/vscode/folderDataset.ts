// "Open Folder as Dataset": a folder of shards (part-*.parquet, a hive year=2024/ layout,
// shard-*.csv) in the Dataset grid as one table (engine/folderDatasetSource.ts). The explorer
// offers it on folders only; from the palette it asks for a folder.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../commandIds';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { sharedDataEngine } from '../engine/engineClient';
import { listFolderFiles } from '../engine/folderFiles';
import { FolderDatasetSource } from '../engine/folderDatasetSource';
import { openDatasetPanel } from './datasetPanel';

export function registerOpenFolderAsDataset(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  registerCommand(context, log, COMMANDS.openFolderAsDataset, async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, title: 'Open Folder as Dataset' }))?.[0];
    if (!uri || uri.scheme !== 'file') return;
    // Listed first so a folder of no data files says so (a UserError, shown by registerCommand) without an empty grid.
    await listFolderFiles(uri.fsPath);
    // No Copy as Code or Compare: both read one file.
    openDatasetPanel(new FolderDatasetSource(uri.fsPath, sharedDataEngine()), `${basename(uri.fsPath)}/`, { extensionUri: context.extensionUri, log });
  });
}
