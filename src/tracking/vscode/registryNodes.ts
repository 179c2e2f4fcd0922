import * as vscode from 'vscode';
import { COMMANDS, TREE_ITEMS } from '../../commandIds';
import type { RegisteredModelRecord, RegistrySnapshot, ModelVersionRecord } from '../registry/registryModel';
import type { CatalogEntry, RunCatalog } from '../runCatalog';
import type { RunRecord, SourceSnapshot } from '../runModel';
import type { ExtensionNode, TreeExtension } from './treeExtension';

// The MLflow Model Registry under each MLflow source: "Models" > registered model > versions with
// their alias badges (@champion), stage, status and the run that produced each (click: that run
// in the tree). Read again whenever the source is (a new snapshot of the source); a version whose
// run is deleted or missing is marked, never hidden.

type Data =
  | { readonly type: 'models'; readonly registry: RegistrySnapshot }
  | { readonly type: 'model'; readonly model: RegisteredModelRecord }
  | { readonly type: 'version'; readonly version: ModelVersionRecord }
  | { readonly type: 'value'; readonly label: string; readonly description: string; readonly runKey?: string; readonly warning?: boolean };

export type RegistryReader = (store: string, kind: 'mlflow' | 'mlflow-sqlite') => Promise<RegistrySnapshot>;

export class RegistryNodes implements TreeExtension {
  /** Keyed by the source's snapshot: a reload of the source makes a new one, so the registry is read again. */
  private readonly cache = new WeakMap<SourceSnapshot, RegistrySnapshot | 'loading'>();
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
    if (kind !== 'mlflow' && kind !== 'mlflow-sqlite') return [];
    const cached = this.cache.get(entry.snapshot);
    if (cached === undefined) {
      this.cache.set(entry.snapshot, 'loading');
      const snapshot = entry.snapshot;
      void this.read()(entry.source.root, kind).then((registry) => {
        this.cache.set(snapshot, registry);
        const before = this.bySource.get(entry.source.id);
        this.bySource.set(entry.source.id, registry);
        if (registry.models.length > 0 || registry.problems.length > 0 || (before && before.models.length > 0)) this.loaded();
      });
    }
    const registry = cached && cached !== 'loading' ? cached : this.bySource.get(entry.source.id);
    return registry && (registry.models.length > 0 || registry.problems.length > 0) ? [this.node({ type: 'models', registry })] : [];
  }

  private runFor(version: ModelVersionRecord): RunRecord | undefined {
    return version.runId ? this.runs.runs().find((r) => r.runId === version.runId) : undefined;
  }

  children(node: ExtensionNode): ExtensionNode[] {
    const data = node.data as Data;
    switch (data.type) {
      case 'models':
        return [...data.registry.problems.map((p) => this.node({ type: 'value', label: p, description: '', warning: true })), ...data.registry.models.map((model) => this.node({ type: 'model', model }))];
      case 'model':
        return [
          ...data.model.problems.map((p) => this.node({ type: 'value', label: p, description: '', warning: true })),
          ...(data.model.description ? [this.node({ type: 'value', label: 'description', description: data.model.description })] : []),
          ...Object.entries(data.model.tags).map(([k, v]) => this.node({ type: 'value', label: k, description: v })),
          ...data.model.versions.map((version) => this.node({ type: 'version', version })),
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

  /** The registered model of a tree node (for Chart a Metric Across Versions). */
  static modelOf(node: unknown): RegisteredModelRecord | undefined {
    const data = (node as ExtensionNode | undefined)?.data as Data | undefined;
    return data?.type === 'model' ? data.model : undefined;
  }
}
