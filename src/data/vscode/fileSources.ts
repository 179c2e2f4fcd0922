import type * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type { DatasetOrigin, DatasetSource, DatasetView } from '../datasetSource';
import type { CodeLanguage } from '../protocol';
import type { DatasetGridOptions } from './datasetPanel';

/** The engine's side of the viewer: a source per file, Copy as Code, Compare with…. */
export interface FileSources extends vscode.Disposable {
  open(uri: vscode.Uri): DatasetSource;
  gridOptions(uri: vscode.Uri): DatasetGridOptions;
  copyAsCode(origin: DatasetOrigin, view: DatasetView, language: CodeLanguage): string;
}

// Until the engine (src/data/engine/) is merged, a file says so instead of showing rows.
export function fileSources(_context: vscode.ExtensionContext, _log: vscode.LogOutputChannel): FileSources {
  const missingError = (): UserError => new UserError('The data engine is not in this build.');
  const missing = (): never => {
    throw missingError();
  };
  return {
    open: (uri) => ({
      origin: { kind: 'file', path: uri.fsPath, format: 'csv' },
      info: () => Promise.reject(missingError()),
      rows: () => Promise.reject(missingError()),
      summarize: () => Promise.reject(missingError()),
      labelBalance: () => Promise.reject(missingError()),
      dispose: () => Promise.resolve(),
    }),
    gridOptions: () => ({}),
    copyAsCode: () => missing(),
    dispose: () => undefined,
  };
}
