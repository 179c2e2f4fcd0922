import * as vscode from 'vscode';
import { COMMANDS, TREE_ITEMS } from '../../commandIds';
import type { RegistryKind, RegistryLocation } from '../registry/promotionPlan';
import type { RegisteredModelRecord, RegistrySnapshot, ModelVersionRecord } from '../registry/registryModel';
import type { CatalogEntry, RunCatalog } from '../runCatalog';
import type { RunRecord, RunSource, SourceSnapshot } from '../runModel';
import { modelFilesIn, servableFile, versionModelPath } from '../registry/versionFiles';
import type { ExtensionNode, TreeExtension } from './treeExtension';

// The MLflow Model Registry under each MLflow source: "Models" > registered model > versions with
// their alias badges (@champion), stage, status and the run that produced each (click: that run
// in the tree). Read again whenever the source is (a new snapshot of the source); a version whose
// run is deleted or missing is marked, never hidden.

type Data =
  | { readonly type: 'models'; readonly registry: RegistrySnapshot }
  | { readonly type: 'model'; readonly model: RegisteredModelRecord; readonly store: RegistryStore | undefined }
  | { readonly type: 'version'; readonly version: ModelVersionRecord; readonly model: RegisteredModelRecord; readonly store: RegistryStore; readonly local: boolean }
  | { readonly type: 'value'; readonly label: string; readonly description: string; readonly runKey?: string; readonly warning?: boolean };

/** Reads the registry of an MLflow source: a FileStore, an mlflow.db, or a tracking server over REST. */
export type RegistryReader = (source: RunSource) => Promise<RegistrySnapshot>;

/** The store a version lives in (where Promote… writes). */
export interface RegistryStore extends RegistryLocation {
  readonly sourceId: string;
}

/** A version node as the version commands get it. */
export interface VersionTarget {
  readonly version: ModelVersionRecord;
  readonly model: RegisteredModelRecord;
  readonly store: RegistryStore;
}

const REGISTRY_KINDS: readonly string[] = ['mlflow', 'mlflow-sqlite', 'mlflow-server'];

export class RegistryNodes implements TreeExtension {
  /** Keyed by the source's snapshot: a reload of the source makes a new one, so the registry is read again. */
  private cache = new WeakMap<SourceSnapshot, RegistrySnapshot | 'loading'>();
  private readonly stores = new Map<RegistrySnapshot, RegistryStore>();
  private readonly bySource = new Map<string, RegistrySnapshot>();

  constructor(
    private readonly runs: RunCatalog,
    private readonly read: () => RegistryReader,
    private readonly loaded: () => void,
  ) {}

  private node(data: Data): ExtensionNode {
    return { kind: 'extension', owner: this, data };
  }

  roots(): ExtensionNode[] {
    return [];
  }

  /** Registries read so far, by source id (the agent's tools and the CLI read their own). */
  registries(): Map<string, RegistrySnapshot> {
    return this.bySource;
  }

  sourceChildren(entry: CatalogEntry): ExtensionNode[] {
    const kind = entry.source.kind;
    if (!REGISTRY_KINDS.includes(kind)) return [];
    const cached = this.cache.get(entry.snapshot);
    if (cached === undefined) {
      this.cache.set(entry.snapshot, 'loading');
      const snapshot = entry.snapshot;
      void this.read()(entry.source).then((registry) => {
        this.stores.set(registry, { kind: kind as RegistryKind, root: entry.source.root, sourceId: entry.source.id });
        this.cache.set(snapshot, registry);
        const before = this.bySource.get(entry.source.id);
        this.bySource.set(entry.source.id, registry);
        if (registry.models.length > 0 || registry.problems.length > 0 || (before && before.models.length > 0)) this.loaded();
      });
    }
    const registry = cached && cached !== 'loading' ? cached : this.bySource.get(entry.source.id);
    return registry && (registry.models.length > 0 || registry.problems.length > 0) ? [this.node({ type: 'models', registry })] : [];
  }

  /** Reads every registry again (after Promote… wrote one); the tree keeps the old one until then. */
  reread(): void {
    this.cache = new WeakMap();
    this.loaded();
  }

  /** A version's node; when its model file is on this machine the node carries it (`modelUri`) for Inspect, Serve Locally and Deploy. */
  private versionNode(version: ModelVersionRecord, model: RegisteredModelRecord, store: RegistryStore): ExtensionNode {
    let modelUri: vscode.Uri | undefined;
    try {
      const path = versionModelPath(version, this.runFor(version), store);
      const files = path ? modelFilesIn(path) : [];
      const file = servableFile(files) ?? files.find((f) => !f.endsWith('MLmodel'));
      if (file) modelUri = vscode.Uri.file(file);
    } catch {
      // unreadable folder: the version lists without its files
    }
    // registryVersion: what Write Model Card… states of the version (modelCard's registryVersionArg reads it).
    return { ...this.node({ type: 'version', version, model, store, local: modelUri !== undefined }), ...(modelUri ? { modelUri, registryVersion: { model, version: version.version, store: store.root } } : {}) };
  }

  private runFor(version: ModelVersionRecord): RunRecord | undefined {
    return version.runId ? this.runs.runs().find((r) => r.runId === version.runId) : undefined;
  }

  children(node: ExtensionNode): ExtensionNode[] {
    const data = node.data as Data;
    switch (data.type) {
      case 'models':
        return [...data.registry.problems.map((p) => this.node({ type: 'value', label: p, description: '', warning: true })), ...data.registry.models.map((model) => this.node({ type: 'model', model, store: this.stores.get(data.registry) }))];
      case 'model':
        return [
          ...data.model.problems.map((p) => this.node({ type: 'value', label: p, description: '', warning: true })),
          ...(data.model.description ? [this.node({ type: 'value', label: 'description', description: data.model.description })] : []),
          ...Object.entries(data.model.tags).map(([k, v]) => this.node({ type: 'value', label: k, description: v })),
          ...data.model.versions.map((version) => (data.store ? this.versionNode(version, data.model, data.store) : this.node({ type: 'value', label: `v${version.version}`, description: version.aliases.map((a) => `@${a}`).join(' ') }))),
        ];
      case 'version': {
        const v = data.version;
        const run = this.runFor(v);
        const out: Data[] = v.problems.map((p) => ({ type: 'value', label: p, description: '', warning: true }));
        if (v.runId) out.push(run ? { type: 'value', label: 'Run', description: `${run.name} (${run.experiment})${run.deleted ? ' · deleted' : ''}`, runKey: run.key, ...(run.deleted ? { warning: true } : {}) } : { type: 'value', label: 'Run', description: `${v.runId}: not found (deleted?)`, warning: true });
        if (v.status) out.push({ type: 'value', label: 'status', description: v.status });
        if (v.stage && v.stage !== 'None') out.push({ type: 'value', label: 'stage', description: v.stage });
        if (v.source) out.push({ type: 'value', label: 'source', description: v.source });
        if (v.description) out.push({ type: 'value', label: 'description', description: v.description });
        if (v.created) out.push({ type: 'value', label: 'created', description: new Date(v.created).toLocaleString() });
        for (const [k, value] of Object.entries(v.tags)) out.push({ type: 'value', label: k, description: value });
        return out.map((d) => this.node(d));
      }
      default:
        return [];
    }
  }

  item(node: ExtensionNode): vscode.TreeItem {
    const data = node.data as Data;
    switch (data.type) {
      case 'models': {
        const item = new vscode.TreeItem('Models', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `registry:${data.registry.store}`;
        item.description = `${data.registry.models.length} registered`;
        item.iconPath = new vscode.ThemeIcon(data.registry.problems.length ? 'warning' : 'library');
        return item;
      }
      case 'model': {
        const m = data.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `registry-model:${m.name}:${m.versions.length}`;
        const aliases = Object.entries(m.aliases).map(([a, v]) => `@${a} v${v}`).join(' ');
        item.description = [`${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`, aliases].filter(Boolean).join(' · ');
        item.tooltip = m.description ?? m.name;
        item.iconPath = new vscode.ThemeIcon(m.problems.length ? 'warning' : 'package');
        item.contextValue = TREE_ITEMS.registeredModel;
        return item;
      }
      case 'version': {
        const v = data.version;
        const run = this.runFor(v);
        const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.Collapsed);
        const runText = v.runId ? (run ? `run ${run.name}${run.deleted ? ' (deleted)' : ''}` : 'run not found') : '';
        item.description = [...v.aliases.map((a) => `@${a}`), v.stage && v.stage !== 'None' ? v.stage : '', v.status && v.status !== 'READY' ? v.status : '', runText].filter(Boolean).join(' · ');
        item.tooltip = `${v.name} version ${v.version}${v.source ? `\nsource: ${v.source}` : ''}${v.runId ? `\nrun: ${v.runId}` : ''}`;
        const marked = v.problems.length > 0 || (v.runId !== undefined && (!run || run.deleted));
        item.iconPath = new vscode.ThemeIcon(marked ? 'warning' : v.aliases.length ? 'star-full' : 'versions', marked ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
        if (run) item.command = { command: COMMANDS.showRunInTree, title: 'Show Run', arguments: [run.key] };
        // Not a TREE_ITEMS entry of its own: the activation bundle stays within its budget.
        item.contextValue = `${TREE_ITEMS.registeredModel}.version${data.local ? '.local' : ''}`;
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(data.label, vscode.TreeItemCollapsibleState.None);
        item.description = data.description;
        item.tooltip = data.description || data.label;
        if (data.warning) item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        else if (data.runKey) item.iconPath = new vscode.ThemeIcon('link');
        if (data.runKey) item.command = { command: COMMANDS.showRunInTree, title: 'Show Run', arguments: [data.runKey] };
        return item;
      }
    }
  }

  /** The version of a tree node (for Promote…, Deploy…, Open Model Files). */
  static versionOf(node: unknown): VersionTarget | undefined {
    const data = (node as ExtensionNode | undefined)?.data as Data | undefined;
    return data?.type === 'version' ? { version: data.version, model: data.model, store: data.store } : undefined;
  }

  /** The registered model of a tree node (for Chart a Metric Across Versions). */
  static modelOf(node: unknown): RegisteredModelRecord | undefined {
    const data = (node as ExtensionNode | undefined)?.data as Data | undefined;
    return data?.type === 'model' ? data.model : undefined;
  }
}
