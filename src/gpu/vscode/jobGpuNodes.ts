import * as vscode from 'vscode';
import { TREE_ITEMS } from '../../commandIds';
import type { JobGpuGroup } from '../../jobs/jobGpuWatch';
import { formatGiB, type GpuSample } from '../gpuSample';

// The watched Slurm jobs' GPUs in the GPUs view, a group per job beside this machine's GPUs. The
// jobs feature samples them (src/jobs/jobGpuWatch.ts); only its types are imported here, so the
// GPU bundle holds no scheduler code and the jobs bundle loads only when a job is watched.

/** What the jobs feature gives the GPUs view (FeatureApis['jobs'].gpuWatch). */
export interface JobGpuSource {
  groups(): readonly JobGpuGroup[];
  readonly onDidChange: vscode.Event<void>;
  /** Polled while wanted (the view shows), slower in the background (the window has no focus). */
  setWanted(wanted: boolean, background: boolean): void;
}

export type JobGpuNode =
  | { readonly kind: 'job'; readonly group: JobGpuGroup }
  | { readonly kind: 'jobGpu'; readonly group: JobGpuGroup; readonly sample: GpuSample }
  | { readonly kind: 'jobLine'; readonly group: JobGpuGroup; readonly text: string; readonly icon: string };

const LINE_ICONS = { 'no-tool': 'circle-slash', pending: 'clock', 'no-gpus': 'info', error: 'warning' } as const;

/** A GPU's row description, the same for this machine's GPUs and a job's. */
export function gpuRowDescription(g: GpuSample): string {
  return `${g.utilizationGpu ?? '–'}% · ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GB · ${g.temperatureC ?? '–'}°C · ${g.powerDrawW ?? '–'}/${g.powerLimitW ?? '–'} W`;
}

export function jobGroupNodes(source: JobGpuSource | undefined): JobGpuNode[] {
  return (source?.groups() ?? []).map((group) => ({ kind: 'job', group }));
}

export function jobChildren(node: JobGpuNode): JobGpuNode[] {
  if (node.kind !== 'job') return [];
  const { group } = node;
  if (group.line) return [{ kind: 'jobLine', group, text: group.line.text, icon: LINE_ICONS[group.line.kind] }];
  return group.samples.map((sample) => ({ kind: 'jobGpu', group, sample }));
}

export function jobTreeItem(node: JobGpuNode): vscode.TreeItem {
  const key = `job:${node.group.cluster}/${node.group.id}`;
  if (node.kind === 'job') {
    const item = new vscode.TreeItem(node.group.label, vscode.TreeItemCollapsibleState.Expanded);
    item.description = node.group.name;
    item.tooltip = `Slurm job ${node.group.id}${node.group.name ? ` (${node.group.name})` : ''} on ${node.group.cluster === 'local' ? 'this machine\'s cluster' : node.group.cluster}, watched from this window. Sampled while this view shows; gone when the job ends or with Stop Watching.`;
    item.contextValue = TREE_ITEMS.watchedJob;
    item.iconPath = new vscode.ThemeIcon('server-environment');
    item.id = key;
    return item;
  }
  if (node.kind === 'jobLine') {
    const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
    item.tooltip = node.text;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    item.id = `${key}/line`;
    return item;
  }
  const g = node.sample;
  const item = new vscode.TreeItem(`${g.index}: ${g.name}`, vscode.TreeItemCollapsibleState.None);
  item.description = gpuRowDescription(g);
  item.tooltip = `${node.group.label}: GPU ${g.index} ${g.name}, ${item.description}`;
  item.iconPath = new vscode.ThemeIcon('circuit-board');
  item.id = `${key}/gpu:${g.uuid ?? g.index}`;
  return item;
}
