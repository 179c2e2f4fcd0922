import { basename } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, TREE_ITEMS } from '../../commandIds';
import type { RunCatalog } from '../../tracking/runCatalog';
import type { ExtensionNode, TreeExtension } from '../../tracking/vscode/treeExtension';
import { countStates } from '../studyAnalysis';
import { formatValue, paramText, studyDescription, treeTrials, trialDescription, trialParams } from '../studyLines';
import type { StudyCatalog } from '../studyCatalog';
import type { StudyRecord, TrialRecord, TrialState } from '../studyModel';
import { RunIndex } from '../trialRuns';

// Studies in the Experiments view: "Optuna Studies" > study (directions, trials by state, best
// value, sampler) > trials, newest first so running ones are on top (state icon, value, params;
// pruned and failed marked) > the trial's params, values, reports and the run it logged to.

type Data =
  | { readonly type: 'root' }
  | { readonly type: 'problem'; readonly text: string }
  | { readonly type: 'study'; readonly study: StudyRecord; readonly file: string }
  | { readonly type: 'trial'; readonly study: StudyRecord; readonly trial: TrialRecord }
  | { readonly type: 'more'; readonly count: number; readonly study: StudyRecord }
  | { readonly type: 'value'; readonly label: string; readonly description: string; readonly runKey?: string };

const STATE_ICONS: Record<TrialState, [string, string | undefined]> = {
  running: ['sync~spin', 'charts.blue'],
  complete: ['pass', 'testing.iconPassed'],
  pruned: ['debug-step-out', 'charts.yellow'],
  fail: ['error', 'testing.iconFailed'],
  waiting: ['clock', undefined],
};

export class StudiesTree implements TreeExtension {
  private index: { runs: unknown; index: RunIndex } | undefined;

  constructor(
    private readonly studies: StudyCatalog,
    private readonly runs: RunCatalog,
  ) {}

  private node(data: Data): ExtensionNode {
    return { kind: 'extension', owner: this, data };
  }

  /** The run index, rebuilt when the runs change. */
  runIndex(): RunIndex {
    const runs = this.runs.runs();
    if (this.index?.runs !== runs || this.index.index === undefined) this.index = { runs, index: new RunIndex(runs) };
    return this.index.index;
  }

  /** The study of a tree node (the inline Open Study action passes the node). */
  static studyKeyOf(node: unknown): string | undefined {
    const data = (node as ExtensionNode | undefined)?.data as Data | undefined;
    return data?.type === 'study' ? data.study.key : undefined;
  }

  roots(): ExtensionNode[] {
    return this.studies.files().length > 0 ? [this.node({ type: 'root' })] : [];
  }

  sourceChildren(): ExtensionNode[] {
    return [];
  }

  children(node: ExtensionNode): ExtensionNode[] {
    const data = node.data as Data;
    switch (data.type) {
      case 'root':
        return this.studies.files().flatMap((f) => [...f.problems.map((text) => this.node({ type: 'problem', text: `${basename(f.path)}: ${text}` })), ...f.studies.map((study) => this.node({ type: 'study', study, file: f.path }))]);
      case 'study': {
        const { shown, more } = treeTrials(data.study);
        const nodes = shown.map((trial) => this.node({ type: 'trial', study: data.study, trial }));
        return more > 0 ? [...nodes, this.node({ type: 'more', count: more, study: data.study })] : nodes;
      }
      case 'trial': {
        const t = data.trial;
        const out: Data[] = [];
        const run = this.runIndex().runOf(t);
        if (run) out.push({ type: 'value', label: 'Run', description: `${run.name} (${run.experiment})`, runKey: run.key });
        t.values?.forEach((v, i) => out.push({ type: 'value', label: data.study.directions.length > 1 ? `value ${i}` : 'value', description: formatValue(v) }));
        for (const [name, value] of Object.entries(t.params)) out.push({ type: 'value', label: name, description: paramText(value) });
        if (t.intermediate.length) out.push({ type: 'value', label: 'reports', description: `${t.intermediate.length}, last ${formatValue(t.intermediate.at(-1)![1])} at step ${t.intermediate.at(-1)![0]}` });
        for (const [key, value] of Object.entries(t.userAttrs)) out.push({ type: 'value', label: key, description: typeof value === 'string' ? value : JSON.stringify(value) ?? '' });
        return out.map((d) => this.node(d));
      }
      default:
        return [];
    }
  }

  item(node: ExtensionNode): vscode.TreeItem {
    const data = node.data as Data;
    const None = vscode.TreeItemCollapsibleState.None;
    switch (data.type) {
      case 'root': {
        const studies = this.studies.studies();
        const item = new vscode.TreeItem('Optuna Studies', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'studies';
        const running = studies.reduce((n, s) => n + countStates(s).running, 0);
        item.description = `${studies.length} stud${studies.length === 1 ? 'y' : 'ies'}${running ? ` · ${running} running trial${running === 1 ? '' : 's'}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('symbol-misc');
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(data.text, None);
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.tooltip = data.text;
        return item;
      }
      case 'study': {
        const s = data.study;
        const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `study:${s.key}`;
        item.description = studyDescription(s);
        const running = s.trials.some((t) => t.state === 'running');
        item.iconPath = new vscode.ThemeIcon(running ? 'sync~spin' : 'symbol-misc', running ? new vscode.ThemeColor('charts.blue') : undefined);
        const tip = new vscode.MarkdownString(undefined, false);
        tip.appendText(`${s.name}\n\n${vscode.workspace.asRelativePath(data.file)}\nDirections: ${s.directions.join(', ')}${s.sampler ? `\nSampler: ${s.sampler}` : ''}\n${s.trials.length} trials`);
        item.tooltip = tip;
        item.contextValue = TREE_ITEMS.study;
        item.command = { command: COMMANDS.openStudy, title: 'Open Study', arguments: [s.key] };
        return item;
      }
      case 'trial': {
        const t = data.trial;
        const item = new vscode.TreeItem(`#${t.number}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `trial:${data.study.key}#${t.number}`;
        const [icon, color] = STATE_ICONS[t.state];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        item.description = trialDescription(t);
        item.tooltip = `Trial ${t.number} · ${t.state}${t.values ? `\nvalues: ${t.values.join(', ')}` : ''}\n${trialParams(t)}`;
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`${data.count} earlier trials`, None);
        item.description = 'in the study view';
        item.command = { command: COMMANDS.openStudy, title: 'Open Study', arguments: [data.study.key] };
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(data.label, None);
        item.description = data.description;
        item.tooltip = data.description;
        if (data.runKey) {
          item.iconPath = new vscode.ThemeIcon('link');
          item.command = { command: COMMANDS.showRunInTree, title: 'Show Run', arguments: [data.runKey] };
        }
        return item;
      }
    }
  }
}
