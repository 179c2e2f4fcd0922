import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry, RunCatalog } from '../runCatalog';
import { SOURCE_NAMES, type ExperimentRecord, type MetricSummary, type RunRecord, type RunStatus } from '../runModel';
import { RunFilterState } from '../runFilterState';
import { formatDuration, formatMetric, keyMetric, lowerIsBetter, metricOf, sortRuns } from '../runQuery';
import { COMMANDS, TREE_ITEMS } from '../../commandIds';
import type { ExtensionNode, TreeExtension } from './treeExtension';
import { AddedSource } from './addedRoots';

export type ExperimentsNode =
  | { readonly kind: 'source'; readonly entry: CatalogEntry }
  | { readonly kind: 'experiment'; readonly entry: CatalogEntry; readonly experiment: ExperimentRecord }
  | { readonly kind: 'run'; readonly run: RunRecord }
  | { readonly kind: 'section'; readonly run: RunRecord; readonly section: 'params' | 'metrics' | 'tags' | 'artifacts' | 'problems' }
  | { readonly kind: 'value'; readonly label: string; readonly description: string; readonly tooltip?: string; readonly icon?: string }
  | { readonly kind: 'metric'; readonly run: RunRecord; readonly metric: MetricSummary }
  | { readonly kind: 'artifact'; readonly run: RunRecord; readonly path: string; readonly name: string; readonly dir: boolean }
  | ExtensionNode;

const STATUS_ICONS: Record<RunStatus, [string, string | undefined]> = {
  running: ['sync~spin', 'charts.blue'],
  scheduled: ['clock', undefined],
  finished: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  killed: ['circle-slash', 'disabledForeground'],
  unknown: ['circle-outline', undefined],
};
/** A source another feature added (a Slurm job's working folder): Remove from Experiments applies. Not in TREE_ITEMS, which the activation bundle carries. */
const ADDED_SOURCE_ITEM = TREE_ITEMS.trackingSourceAdded;
/** A run whose files changed this recently counts as live even when its format has no status. */
const LIVE_MS = 60_000;

/** Source > experiment > run > params, metrics, tags, artifacts. Sources with one experiment skip that level. */
export class ExperimentsTree implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The filter shared with the runs table. */
  readonly filter = new RunFilterState();
  sortMetric: string | undefined;
  /** When each run's files were first seen changed: a copied folder is new but not live. */
  private readonly firstSeen = new Map<string, number>();
  /** Metric summaries with min and max where the catalog has read them (min(val_loss)<0.4 needs them). */
  readonly metric = (run: RunRecord, key: string): MetricSummary | undefined => this.catalog.metricSummary(run, key);

  constructor(
    private readonly catalog: RunCatalog,
    /** Studies and model registries (src/studies/, src/tracking/registry/). */
    readonly extensions: TreeExtension[] = [],
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  private filtered(runs: readonly RunRecord[]): RunRecord[] {
    return this.filter.apply(runs, this.metric);
  }

  private visibleRuns(runs: readonly RunRecord[]): RunRecord[] {
    return sortRuns(this.filtered(runs), this.sortMetric);
  }

  /** The run's place in the tree (for reveal): its experiment, or its source where that level is skipped. */
  getParent(node: ExperimentsNode): ExperimentsNode | undefined {
    if (node.kind === 'experiment') return { kind: 'source', entry: node.entry };
    if (node.kind !== 'run') return undefined;
    const entry = this.catalog.get(node.run.sourceId);
    if (!entry) return undefined;
    const shown = this.shownExperiments(entry);
    const experiment = shown.find((e) => e.runs.some((r) => r.key === node.run.key));
    if (!experiment) return undefined;
    return shown.length === 1 ? { kind: 'source', entry } : { kind: 'experiment', entry, experiment };
  }

  /** Empty experiments (MLflow's "Default" before its first run) would only add a level to open. */
  private shownExperiments(entry: CatalogEntry): readonly ExperimentRecord[] {
    return entry.snapshot.experiments.filter((e) => !e.deleted && e.runs.length > 0);
  }

  /** The tree node of a run the filter shows, for reveal. */
  runNode(key: string): ExperimentsNode | undefined {
    const run = this.catalog.findRun(key);
    return run && this.filtered([run]).length === 1 ? { kind: 'run', run } : undefined;
  }

  getChildren(node?: ExperimentsNode): ExperimentsNode[] | Promise<ExperimentsNode[]> {
    if (!node) {
      const entries = this.catalog.sources().filter((e) => e.snapshot.experiments.length > 0 || e.snapshot.problems.length > 0);
      return [...entries.map((entry): ExperimentsNode => ({ kind: 'source', entry })), ...this.extensions.flatMap((x) => x.roots())];
    }
    switch (node.kind) {
      case 'source': {
        const extra = this.extensions.flatMap((x) => x.sourceChildren(node.entry));
        const experiments = this.shownExperiments(node.entry);
        if (experiments.length === 1) return [...extra, ...this.runNodes(experiments[0]!.runs)];
        return [...extra, ...experiments.map((experiment): ExperimentsNode => ({ kind: 'experiment', entry: node.entry, experiment }))];
      }
      case 'extension':
        return node.owner.children(node);
      case 'experiment':
        return this.runNodes(node.experiment.runs);
      case 'run': {
        const r = node.run;
        const sections: ExperimentsNode[] = [];
        if (r.problems.length > 0) sections.push({ kind: 'section', run: r, section: 'problems' });
        sections.push({ kind: 'section', run: r, section: 'metrics' });
        if (Object.keys(r.params).length > 0) sections.push({ kind: 'section', run: r, section: 'params' });
        if (Object.keys(r.tags).length > 0) sections.push({ kind: 'section', run: r, section: 'tags' });
        if (r.artifactsDir) sections.push({ kind: 'section', run: r, section: 'artifacts' });
        return sections;
      }
      case 'section':
        return this.sectionChildren(node.run, node.section);
      case 'artifact':
        return node.dir ? this.artifacts(node.run, node.path) : [];
      default:
        return [];
    }
  }

  private runNodes(runs: readonly RunRecord[]): ExperimentsNode[] {
    return this.visibleRuns(runs).map((run) => ({ kind: 'run', run }));
  }

  private async sectionChildren(run: RunRecord, section: 'params' | 'metrics' | 'tags' | 'artifacts' | 'problems'): Promise<ExperimentsNode[]> {
    switch (section) {
      case 'params':
      case 'tags': {
        const values = section === 'params' ? run.params : run.tags;
        return Object.entries(values)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([label, value]) => ({ kind: 'value', label, description: value.length > 120 ? `${value.slice(0, 120)}…` : value, tooltip: value }));
      }
      case 'problems':
        return run.problems.map((p) => ({ kind: 'value', label: p, description: '', icon: 'warning' }));
      case 'artifacts':
        return this.artifacts(run, run.artifactsDir!);
      case 'metrics':
        return (await this.metricsWithRange(run)).map((metric) => ({ kind: 'metric', run, metric }));
    }
  }

  /** Metric summaries with min and max: read from history the first time a run's metrics are opened. */
  private async metricsWithRange(run: RunRecord): Promise<readonly MetricSummary[]> {
    await this.catalog.completeSummaries([run], undefined);
    return run.metrics.map((m) => this.catalog.metricSummary(run, m.key) ?? m);
  }

  private async artifacts(run: RunRecord, dir: string): Promise<ExperimentsNode[]> {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries
        .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name))
        .slice(0, 500)
        .map((e) => ({ kind: 'artifact', run, path: join(dir, e.name), name: e.name, dir: e.isDirectory() }));
    } catch {
      return [{ kind: 'value', label: 'No artifacts', description: '' }];
    }
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    const None = vscode.TreeItemCollapsibleState.None;
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    switch (node.kind) {
      case 'extension':
        return node.owner.item(node);
      case 'source': {
        const { source, snapshot } = node.entry;
        const runs = snapshot.experiments.flatMap((e) => e.runs);
        const item = new vscode.TreeItem(`${SOURCE_NAMES[source.kind]}: ${source.label}`, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `source:${source.id}`;
        const shown = this.filtered(runs).length;
        item.description = `${shown === runs.length ? runs.length : `${shown} of ${runs.length}`} run${runs.length === 1 ? '' : 's'} · ${vscode.workspace.asRelativePath(source.root)}`;
        item.tooltip = new vscode.MarkdownString(`**${SOURCE_NAMES[source.kind]}** ${source.root}${snapshot.problems.length ? `\n\nProblems:\n${snapshot.problems.map((p) => `- ${p}`).join('\n')}` : ''}`);
        item.iconPath = new vscode.ThemeIcon(snapshot.problems.length ? 'warning' : source.kind === 'tensorboard' ? 'graph-line' : source.kind === 'wandb' ? 'pulse' : source.kind === 'lightning' ? 'zap' : 'beaker');
        item.contextValue = source instanceof AddedSource ? ADDED_SOURCE_ITEM : TREE_ITEMS.trackingSource;
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${node.entry.source.id}#${node.experiment.id}`;
        const runs = this.filtered(node.experiment.runs);
        item.description = `${runs.length} run${runs.length === 1 ? '' : 's'}${node.experiment.deleted ? ' · deleted' : ''}`;
        item.iconPath = new vscode.ThemeIcon('folder-library');
        return item;
      }
      case 'run':
        return this.runItem(node.run);
      case 'section': {
        const labels = { params: 'Params', metrics: 'Metrics', tags: 'Tags', artifacts: 'Artifacts', problems: 'Problems' };
        const r = node.run;
        const item = new vscode.TreeItem(labels[node.section], node.section === 'metrics' || node.section === 'problems' ? vscode.TreeItemCollapsibleState.Expanded : Collapsed);
        item.id = `${r.key}/${node.section}`;
        const count = { params: Object.keys(r.params).length, metrics: r.metrics.length, tags: Object.keys(r.tags).length, problems: r.problems.length, artifacts: undefined }[node.section];
        if (count !== undefined) item.description = String(count);
        item.iconPath = new vscode.ThemeIcon({ params: 'settings', metrics: 'graph', tags: 'tag', artifacts: 'package', problems: 'warning' }[node.section]);
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(node.label, None);
        item.description = node.description;
        if (node.tooltip) item.tooltip = node.tooltip;
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon, new vscode.ThemeColor('problemsWarningIcon.foreground'));
        return item;
      }
      case 'metric': {
        const m = node.metric;
        const item = new vscode.TreeItem(m.key, None);
        item.id = `${node.run.key}/metric/${m.key}`;
        const range = m.min !== undefined && m.max !== undefined ? `  min ${formatMetric(m.min)} · max ${formatMetric(m.max)}` : '';
        item.description = `${formatMetric(m.last)} @ ${m.lastStep}${range}`;
        item.tooltip = `${m.key}: last ${m.last} at step ${m.lastStep}${m.count !== undefined ? `, ${m.count} points` : ''}${m.min !== undefined ? `, min ${m.min}, max ${m.max}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('graph-line');
        item.command = { command: COMMANDS.showRunChart, title: 'Show Chart', arguments: [node.run.key, m.key] };
        item.contextValue = TREE_ITEMS.runMetric;
        return item;
      }
      case 'artifact': {
        const uri = vscode.Uri.file(node.path);
        const item = new vscode.TreeItem(uri, node.dir ? Collapsed : None);
        item.id = `${node.run.key}/artifact/${node.path}`;
        if (!node.dir) item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        item.contextValue = node.dir ? TREE_ITEMS.artifactFolder : TREE_ITEMS.artifact;
        return item;
      }
    }
  }

  private runItem(run: RunRecord): vscode.TreeItem {
    const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = run.key;
    const live = run.status === 'running' || (run.status === 'unknown' && this.changedLately(run));
    const status: RunStatus = live ? 'running' : run.status;
    const [icon, color] = run.problems.length > 0 && status !== 'running' ? ['warning', 'problemsWarningIcon.foreground'] : STATUS_ICONS[status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const key = this.sortMetric ?? keyMetric([run]);
    const metric = key ? metricOf(run, key) : undefined;
    const duration = run.startTime && run.endTime ? formatDuration(run.endTime - run.startTime) : run.status === 'running' && run.startTime ? `${formatDuration(Date.now() - run.startTime)} so far` : '';
    item.description = [metric ? `${key} ${formatMetric(metric.last)}` : '', live && run.status !== 'running' ? 'live' : '', duration, run.deleted ? 'deleted' : ''].filter(Boolean).join(' · ');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${escapeMd(run.name)}** · ${status}${run.deleted ? ' (deleted)' : ''}\n\n`);
    tip.appendMarkdown(`${SOURCE_NAMES[run.source]} · ${escapeMd(run.experiment)} · \`${escapeMd(run.runId)}\`\n\n`);
    if (run.startTime) tip.appendMarkdown(`Started ${new Date(run.startTime).toLocaleString()}${run.endTime ? `, ended ${new Date(run.endTime).toLocaleString()}` : ''}\n\n`);
    const shown = run.metrics.slice(0, 8).map((m) => `${escapeMd(m.key)} = ${formatMetric(m.last)} ${lowerIsBetter(m.key) ? '↓' : ''}`);
    if (shown.length) tip.appendMarkdown(`${shown.join('  \n')}\n\n`);
    if (run.problems.length) tip.appendMarkdown(`⚠ ${run.problems.map(escapeMd).join('  \n⚠ ')}`);
    item.tooltip = tip;
    item.contextValue = TREE_ITEMS.run;
    return item;
  }

  /**
   * Formats without a status (TensorBoard, Lightning CSV) are "live" while their files keep
   * changing: written to since we first saw them, within the last minute.
   */
  private changedLately(run: RunRecord): boolean {
    if (run.updatedTime === undefined) return false;
    const first = this.firstSeen.get(run.key);
    if (first === undefined) {
      this.firstSeen.set(run.key, run.updatedTime);
      return false;
    }
    return run.updatedTime > first && Date.now() - run.updatedTime < LIVE_MS;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
