import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { samePath } from '../../common/pathInside';
import type { DatasetSource } from '../datasetSource';
import { compareDatasets } from '../engine/compareFiles';
import { sharedDataEngine, type DataEngine } from '../engine/engineClient';
import { FileDatasetSource } from '../engine/fileDatasetSource';
import type { CompareRequest, DatasetComparison } from '../protocol';
import type { DatasetGridOptions } from './datasetPanel';

/** The engine's side of the viewer: a source per file, with Compare with…. */
export interface FileSources extends vscode.Disposable {
  open(uri: vscode.Uri): { source: DatasetSource; options: DatasetGridOptions };
}

const DATA_FILTERS = { 'Data files': ['csv', 'tsv', 'gz', 'parquet', 'jsonl', 'ndjson', 'arrow', 'feather'] };
const DATA_GLOB = '**/*.{csv,tsv,csv.gz,tsv.gz,parquet,jsonl,ndjson,arrow,feather}';
const NOT_DATA = '**/{node_modules,.git,.venv,venv,__pycache__}/**';

type FilePick = vscode.QuickPickItem & { uri?: vscode.Uri };

/**
 * The second file: the workspace's data files in a list (the file's own folder first, so a
 * train/test split is one keystroke away), with Browse… for a file elsewhere.
 */
async function pickSecondFile(first: FileDatasetSource): Promise<vscode.Uri | undefined> {
  const browse = (): Thenable<vscode.Uri[] | undefined> =>
    // The folder, not the file: the file itself is the one pick that compares nothing.
    vscode.window.showOpenDialog({ canSelectMany: false, title: `Compare ${first.label} with…`, defaultUri: vscode.Uri.file(dirname(first.path)), filters: DATA_FILTERS });
  const found = vscode.workspace.workspaceFolders ? await vscode.workspace.findFiles(DATA_GLOB, NOT_DATA, 2000) : [];
  const others = found.filter((uri) => uri.scheme === 'file' && !samePath(uri.fsPath, first.path));
  if (others.length === 0) return (await browse())?.[0];
  const folder = dirname(first.path);
  const near = (uri: vscode.Uri): number => (samePath(dirname(uri.fsPath), folder) ? 0 : 1);
  others.sort((a, b) => near(a) - near(b) || a.fsPath.localeCompare(b.fsPath));
  const items: FilePick[] = others.map((uri) => ({ label: basename(uri.fsPath), description: near(uri) === 0 ? `beside ${first.label}` : vscode.workspace.asRelativePath(dirname(uri.fsPath), false), uri }));
  items.push({ label: 'Browse…', description: 'a file outside this list', alwaysShow: true });
  const chosen = await vscode.window.showQuickPick(items, { title: `Compare ${first.label} with…`, placeHolder: 'A data file of this workspace (type to filter)', matchOnDescription: true });
  if (!chosen) return undefined;
  return chosen.uri ?? (await browse())?.[0];
}

/**
 * Asks for the second file (or takes the last one: key columns chosen in the comparison card), then
 * compares it with `first` on the engine; undefined if the person cancelled.
 */
async function compareWithPicked(engine: DataEngine, first: FileDatasetSource, signal: AbortSignal, request: CompareRequest, last: { uri?: vscode.Uri }): Promise<DatasetComparison | undefined> {
  const picked = (request.keyColumns && last.uri) || (await pickSecondFile(first));
  last.uri = picked;
  if (!picked || signal.aborted) return undefined;
  if (samePath(picked.fsPath, first.path)) throw new UserError(`${first.label} is the file open here: pick another one to compare it with (a test or validation split, say).`);
  const second = new FileDatasetSource(picked.fsPath, engine);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Comparing ${first.label} with ${basename(picked.fsPath)}`, cancellable: true },
      (_progress, token) => {
        const stop = new AbortController();
        token.onCancellationRequested(() => stop.abort());
        return compareDatasets(first, second, AbortSignal.any([signal, stop.signal]), request);
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
      const last = {};
      return { source, options: { compare: (_view, signal, request) => compareWithPicked(engine, source, signal, request, last) } };
    },
    dispose: () => void engine.close(),
  };
}
