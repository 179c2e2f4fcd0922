import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { samePath } from '../../common/pathInside';
import type { DatasetSource } from '../datasetSource';
import { compareDatasets } from '../engine/compareFiles';
import { sharedDataEngine, type DataEngine } from '../engine/engineClient';
import { FileDatasetSource } from '../engine/fileDatasetSource';
import type { DatasetComparison } from '../protocol';
import type { DatasetGridOptions } from './datasetPanel';

/** The engine's side of the viewer: a source per file, with Compare with…. */
export interface FileSources extends vscode.Disposable {
  open(uri: vscode.Uri): { source: DatasetSource; options: DatasetGridOptions };
}

/** Asks for the second file, then compares it with `first` on the engine; undefined if the person cancelled. */
async function compareWithPicked(engine: DataEngine, first: FileDatasetSource, signal: AbortSignal): Promise<DatasetComparison | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    title: `Compare ${first.label} with…`,
    // The folder, not the file: the file itself is the one pick that compares nothing.
    defaultUri: vscode.Uri.file(dirname(first.path)),
    filters: { 'Data files': ['csv', 'tsv', 'gz', 'parquet', 'jsonl', 'ndjson', 'arrow', 'feather'] },
  });
  if (!picked?.[0] || signal.aborted) return undefined;
  if (samePath(picked[0].fsPath, first.path)) throw new UserError(`${first.label} is the file open here: pick another one to compare it with (a test or validation split, say).`);
  const second = new FileDatasetSource(picked[0].fsPath, engine);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Comparing ${first.label} with ${basename(picked[0].fsPath)}`, cancellable: true },
      (_progress, token) => {
        const stop = new AbortController();
        token.onCancellationRequested(() => stop.abort());
        return compareDatasets(first, second, AbortSignal.any([signal, stop.signal]));
      },
    );
  } finally {
    await second.dispose();
  }
}

/**
 * Files are read by the engine's child process (src/data/engine/), one per extension host and
 * shared by every open grid; closing the extension stops it.
 */
export function fileSources(): FileSources {
  const engine = sharedDataEngine();
  return {
    open: (uri) => {
      const source = new FileDatasetSource(uri.fsPath, engine);
      return { source, options: { compare: (_view, signal) => compareWithPicked(engine, source, signal) } };
    },
    dispose: () => void engine.close(),
  };
}
