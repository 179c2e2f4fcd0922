import type * as vscode from 'vscode';
import type { Tool } from '../agent/tools/tool';
import type { ApiKeyStore } from '../agent/vscode/apiKeyStore';
import type { DatasetSource } from '../data/datasetSource';
import type { DatasetGrid, DatasetGridOptions } from '../data/vscode/datasetPanel';
import type { RemoteGpuSource } from '../gpu/gpuSourceChoice';
import type { JobGpuGroup } from '../jobs/jobGpuWatch';
import type { AttachedJupyterServer } from '../kernels/vscode/jupyterServers';
import type { KernelTarget } from '../kernels/kernelTools';
import type { SourceKind } from '../tracking/runModel';
import type { FeatureName, TreeViewId } from './featureTable';

// The contract between the activation layer (dist/extension.js) and each feature's bundle
// (dist/features/<name>.js). Types only: a bundle has its own copy of every module it uses, so
// nothing here may rely on `instanceof` or a module-level singleton shared across bundles.

/** What a feature gives the others once it is loaded. */
export interface FeatureApis {
  kernels: {
    tools(): Tool[];
    /** Which of this window's kernels runs as which pid on this machine ("train.ipynb"). */
    owners(): ReadonlyMap<number, string>;
    /** The active notebook's kernel when it runs on a remote server. */
    activeRemote(): RemoteGpuSource | undefined;
    /** Kernels started, stopped or changed state. */
    readonly onDidChange: vscode.Event<unknown>;
    /** A DataFrame or 2-D array of the active notebook's kernel as a fresh source (the agent's describe_dataset). */
    variableSource(variable: string, signal: AbortSignal): Promise<DatasetSource>;
    /** The active notebook's kernel (drift on its DataFrames); throws saying what to do when there is none. */
    activeKernel(): Promise<KernelTarget>;
    /** Shows a server another feature runs (a kernel on a Slurm job) in the Kernels view and the kernel picker until disposed. */
    attachServer(server: AttachedJupyterServer): vscode.Disposable;
  };
  gpu: { tools(): Tool[] };
  tracking: {
    tools(): Tool[];
    /** Tracking logs under a folder, found by the Experiments view's own bounded discovery (in its worker). */
    findLogs(folder: string): Promise<readonly { readonly kind: SourceKind; readonly path: string }[]>;
    /** Lists the runs under `folder` (a Slurm job's working folder) in the Experiments view as `label`, watched, until disposed or removed by the user. */
    addRoot(folder: string, label: string): vscode.Disposable;
  };
  models: { tools(): Tool[] };
  /** Copilot's language model tools (by contributed name) and the @ml participant's handler (src/lmtools/vscode/). */
  chat: { lmTool(name: string): vscode.LanguageModelTool<object>; readonly participant: vscode.ChatRequestHandler };
  doctor: NoApi;
  serving: { tools(): Tool[] };
  modelCard: { tools(): Tool[] };
  jobs: {
    tools(): Tool[];
    /** The watched jobs' GPUs, a group per job, for the GPUs view; polled while `setWanted(true)` (the view shows). */
    readonly gpuWatch: { groups(): readonly JobGpuGroup[]; readonly onDidChange: vscode.Event<void>; setWanted(wanted: boolean, background: boolean): void };
  };
  data: {
    /**
     * Opens a source that is not a file editor (a kernel DataFrame) in the Dataset grid; Copy as
     * Code is the data feature's (src/data/copyAsCode.ts) unless `options` gives one.
     */
    openDatasetPanel(source: DatasetSource, title: string, options?: DatasetGridOptions): DatasetGrid;
    /** describe_dataset and query_dataset (src/data/dataTools.ts). */
    tools(): Tool[];
  };
}

export type NoApi = Readonly<Record<never, never>>;

/** What dist/features/<name>.js exports. */
export interface FeatureModule<N extends FeatureName> {
  activateFeature(host: FeatureHost): FeatureApis[N];
}

/** What a loading feature is given: the extension's context and log, and the registrations made for it at activation. */
export interface FeatureHost {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** The Anthropic API key: the activation layer keeps its context key current. */
  readonly apiKeys: ApiKeyStore;
  /** The tree view created at activation, from now on drawn by `provider` (instead of vscode.window.createTreeView). */
  treeView<T>(id: TreeViewId, provider: vscode.TreeDataProvider<T>): vscode.TreeView<T>;
  /** The chat's webview view: registered at activation, resolved by `provider`. */
  chatView(provider: vscode.WebviewViewProvider): void;
  /** The model viewer: registered at activation, opened by `provider`. */
  modelViewer(provider: vscode.CustomReadonlyEditorProvider): void;
  /** The Dataset viewer (both its view types): registered at activation, opened by `provider`. */
  datasetViewer(provider: vscode.CustomReadonlyEditorProvider): void;
  /** The Python code actions: registered at activation, answered by `provider`. */
  pythonCodeActions(provider: vscode.CodeActionProvider): void;
  /** Another feature's API if it is loaded (never loads it). */
  peek<N extends FeatureName>(name: N): FeatureApis[N] | undefined;
  /** Another feature's API, loading it first if need be (`reason` goes to the log). */
  load<N extends FeatureName>(name: N, reason: string): FeatureApis[N];
  /** Calls `listener` with the feature's API once it is loaded (at once if it is). */
  whenLoaded<N extends FeatureName>(name: N, listener: (api: FeatureApis[N]) => void): vscode.Disposable;
}
