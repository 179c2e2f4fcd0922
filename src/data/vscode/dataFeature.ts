import * as vscode from 'vscode';
import type { FeatureApis, FeatureHost } from '../../activation/featureHost';
import { COMMANDS, VIEW_TYPES } from '../../commandIds';
import { copyAsCodeOn } from '../copyAsCodeCsv';
import { sharedDataEngine } from '../engine/engineClient';
import { agentDataTools } from '../agentDataTools';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { applyEngineSettings } from './dataEngineSettings';
import { DatasetEditorProvider, summaryStoreIn } from './datasetEditor';
import { openDatasetPanel } from './datasetPanel';
import { fileSources } from './fileSources';
import { registerOpenFolderAsDataset } from './folderDataset';

const DATA_FILE = /\.(csv|tsv|csv\.gz|tsv\.gz|parquet|jsonl|ndjson|arrow|feather)$/i;
/** Files a text editor cannot show: the Dataset viewer is their default editor. */
const BINARY_DATA_FILE = /\.(csv\.gz|tsv\.gz|parquet|arrow|feather)$/i;

/** The data file a command acts on: the explorer's, the active editor's or tab's, or one the person picks. */
async function dataFileUri(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const active = tab instanceof vscode.TabInputText || tab instanceof vscode.TabInputCustom ? tab.uri : undefined;
  if (active && DATA_FILE.test(active.path)) return active;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    title: 'Open as Dataset',
    filters: { 'Data files': ['csv', 'tsv', 'gz', 'parquet', 'jsonl', 'ndjson', 'arrow', 'feather'] },
  });
  return picked?.[0];
}

/** dist/features/data.js (src/activation/): the Dataset viewer for data files, and a grid for any DatasetSource. */
export function activateFeature(host: FeatureHost): FeatureApis['data'] {
  const { context, log } = host;
  // Before any dataset opens: the engine starts with the person's settings, and restarts when they change.
  applyEngineSettings(context, log, sharedDataEngine());
  const sources = fileSources();
  context.subscriptions.push(sources);
  // A CSV's code reads it as the engine did (header, date formats): asked of the engine fileSources reads with.
  const copyAsCode = copyAsCodeOn(sharedDataEngine());
  host.datasetViewer(
    new DatasetEditorProvider(context.extensionUri, log, (uri) => {
      const { source, options } = sources.open(uri);
      return { source, options: { ...options, copyAsCode } };
    }, summaryStoreIn(context)),
  );
  registerCommand(context, log, COMMANDS.openAsDataset, async (arg?: unknown) => {
    const uri = await dataFileUri(arg);
    if (!uri) return;
    await vscode.commands.executeCommand('vscode.openWith', uri, BINARY_DATA_FILE.test(uri.path) ? VIEW_TYPES.datasetViewer : VIEW_TYPES.datasetTextViewer);
  });
  registerOpenFolderAsDataset(context, log);
  return {
    openDatasetPanel: (source, title, options) => openDatasetPanel(source, title, { extensionUri: context.extensionUri, log }, { copyAsCode, ...options }),
    tools: () => agentDataTools({ kernelSource: (variable, signal) => host.load('kernels', 'the agent described a kernel variable').variableSource(variable, signal) }),
  };
}
