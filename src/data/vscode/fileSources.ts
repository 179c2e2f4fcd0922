import type * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type { DatasetOrigin, DatasetSource, DatasetView } from '../datasetSource';
import { sharedDataEngine } from '../engine/engineClient';
import { FileDatasetSource } from '../engine/fileDatasetSource';
import type { CodeLanguage } from '../protocol';
import type { DatasetGridOptions } from './datasetPanel';

/** The engine's side of the viewer: a source per file, Copy as Code, Compare with…. */
export interface FileSources extends vscode.Disposable {
  open(uri: vscode.Uri): DatasetSource;
  gridOptions(uri: vscode.Uri): DatasetGridOptions;
  copyAsCode(origin: DatasetOrigin, view: DatasetView, language: CodeLanguage): string;
}

/**
 * Files are read by the engine's child process (src/data/engine/), one per extension host and
 * shared by every open grid; closing the extension stops it.
 */
export function fileSources(_context: vscode.ExtensionContext, _log: vscode.LogOutputChannel): FileSources {
  const engine = sharedDataEngine();
  return {
    open: (uri) => new FileDatasetSource(uri.fsPath, engine),
    gridOptions: () => ({}),
    copyAsCode: () => {
      throw new UserError('Copy as Code is not in this build yet.');
    },
    dispose: () => void engine.close(),
  };
}
