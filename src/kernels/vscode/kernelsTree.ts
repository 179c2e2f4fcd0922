import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { KernelModel } from '../jupyterLib';
import { describeKernelValue, describeVariable, MAX_TOOLTIP_REPR, type KernelValue, type KernelVariable } from '../kernelInspection';
import type { JupyterServerEntry, JupyterServers, KernelSpecInfo } from './jupyterServers';
import type { LiveKernel } from './liveKernels';
import type { NotebookKernels } from './notebookKernels';
import { COMMANDS, TREE_ITEMS } from '../../commandIds';

export type KernelsNode =
  | { readonly kind: 'server'; readonly server: JupyterServerEntry }
  | { readonly kind: 'specs'; readonly server: JupyterServerEntry }
  | { readonly kind: 'spec'; readonly server: JupyterServerEntry; readonly spec: KernelSpecInfo }
  | { readonly kind: 'kernel'; readonly server: JupyterServerEntry; readonly model: KernelModel; readonly live: LiveKernel | undefined }
  | { readonly kind: 'variable'; readonly variable: KernelVariable; readonly live: LiveKernel };

/** How long a burst of kernel and server changes may last before the tree is redrawn once. */
const REFRESH_SETTLE_MS = 300;

/** Servers > kernel specs and running kernels > the variables of kernels this window uses. */
export class KernelsTree implements vscode.TreeDataProvider<KernelsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly servers: JupyterServers,
    private readonly kernels: NotebookKernels,
  ) {
    this.subscriptions = [servers.onDidChange(() => this.refreshSoon()), kernels.onDidChange(() => this.refreshSoon())];
  }

  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private shown: string | undefined;

  /**
   * Redraws the tree once a burst of changes settles, and only when what it shows changed. Every
   * silent request (a tooltip, a preview, the data viewer's pages) flips the kernel busy and idle;
   * each redraw replaces the rows' click handles, so a click landing on a row drawn just before
   * found "Actual command not found" and did nothing.
   */
  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      const now = this.signature();
      if (now === this.shown) return;
      this.shown = now;
      this.changed.fire();
    }, REFRESH_SETTLE_MS);
  }

  /** What the tree shows, row by row: labels, descriptions, tooltips, icons, menus, ids. */
  private signature(): string {
    const rows: string[] = [];
    const walk = (nodes: KernelsNode[], depth: number): void => {
      for (const node of nodes) {
        const item = this.getTreeItem(node);
        const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
        const tooltip = typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '');
        const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '';
        rows.push([depth, item.id, label, item.description, tooltip, icon, item.contextValue, item.collapsibleState].map((part) => String(part ?? '')).join('\u0000'));
        walk(this.getChildren(node), depth + 1);
      }
    };
    walk(this.getChildren(), 0);
    return rows.join('\n');
  }

  getChildren(node?: KernelsNode): KernelsNode[] {
    if (!node) {
      // An empty tree shows the welcome content until a server has been started or connected.
      const servers = this.servers.list();
      return servers.some((s) => s.state !== 'stopped' || s.kind === 'remote' || s.problem) ? servers.map((server) => ({ kind: 'server', server })) : [];
    }
    switch (node.kind) {
      case 'server': {
        const kernels: KernelsNode[] = node.server.kernels.map((model) => ({
          kind: 'kernel',
          server: node.server,
          model,
          live: this.kernels.forKernelId(model.id),
        }));
        return node.server.specs.length > 0 ? [...kernels, { kind: 'specs', server: node.server }] : kernels;
      }
      case 'specs':
        return node.server.specs.map((spec) => ({ kind: 'spec', server: node.server, spec }));
      case 'kernel':
        return node.live ? node.live.inspection?.variables.map((variable) => ({ kind: 'variable', variable, live: node.live! })) ?? [] : [];
      default:
        return [];
    }
  }

  getTreeItem(node: KernelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'server': {
        const s = node.server;
        const item = new vscode.TreeItem(s.kind === 'local' ? 'Local Jupyter server' : s.label, vscode.TreeItemCollapsibleState.Expanded);
        const url = s.endpoint?.baseUrl ?? s.baseUrl ?? '';
        item.description = { ready: url, starting: 'starting…', unreachable: 'not reachable', stopped: 'not running' }[s.state];
        item.tooltip = new vscode.MarkdownString(`**${s.label}** (${s.kind})\n\n${url}\n\n${s.problem ? `Problem: ${s.problem}` : `${s.kernels.length} running kernel(s)`}`);
        item.iconPath = new vscode.ThemeIcon(
          s.state === 'unreachable' ? 'warning' : s.kind === 'local' ? 'vm' : 'remote',
          s.state === 'unreachable' ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined,
        );
        item.contextValue = `${TREE_ITEMS.server}.${s.kind}.${s.state}`;
        return item;
      }
      case 'specs': {
        const item = new vscode.TreeItem('Kernel specs', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = String(node.server.specs.length);
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        return item;
      }
      case 'spec': {
        const item = new vscode.TreeItem(node.spec.displayName);
        item.description = `${node.spec.name} · ${node.spec.language}${node.server.defaultSpec === node.spec.name ? ' · default' : ''}`;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        return item;
      }
      case 'kernel': {
        const { model, live } = node;
        const state = live ? this.kernels.stateOf(live) : model.execution_state ?? 'unknown';
        const hasVariables = (live?.inspection?.variables.length ?? 0) > 0;
        const item = new vscode.TreeItem(
          live ? basename(live.notebook.uri.path) : model.name,
          hasVariables ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
        );
        const connections = typeof model.connections === 'number' ? ` · ${model.connections} connection${model.connections === 1 ? '' : 's'}` : '';
        item.description = `${state}${live ? ` · ${live.spec.displayName}` : ''}${connections}`;
        item.tooltip = new vscode.MarkdownString(
          `Kernel \`${model.id}\` (${model.name})\n\nState: ${state}${model.last_activity ? `\n\nLast activity: ${model.last_activity}` : ''}` +
            (live?.inspection ? `\n\npid ${live.inspection.pid} on ${live.inspection.host}\n\n${live.inspection.python}` : ''),
        );
        item.iconPath = new vscode.ThemeIcon(
          state === 'busy' ? 'loading~spin' : state === 'dead' ? 'error' : state === 'idle' ? 'circle-large-outline' : 'sync~spin',
        );
        item.contextValue = state === 'busy' ? TREE_ITEMS.kernelBusy : TREE_ITEMS.kernel;
        item.id = `kernel:${model.id}`;
        return item;
      }
      case 'variable': {
        const v = node.variable;
        const item = new vscode.TreeItem(v.name);
        item.description = `${shortType(v.type)} ${describeVariable(v)}`.trim();
        // The tooltip (the value itself) is read from the kernel on hover: resolveTreeItem.
        item.iconPath = new vscode.ThemeIcon(v.shape ? 'symbol-array' : v.value !== undefined ? 'symbol-variable' : 'symbol-field');
        if (v.shape) {
          item.command = { command: COMMANDS.previewVariable, title: 'Preview Value', arguments: [node] };
          item.contextValue = isTable(v) ? TREE_ITEMS.tableVariable : TREE_ITEMS.variable;
        }
        item.id = `variable:${node.live.binding.kernelId}:${v.name}`;
        return item;
      }
    }
  }

  /** A variable's tooltip: its full type and value, read silently from the kernel when hovered. */
  async resolveTreeItem(item: vscode.TreeItem, node: KernelsNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'variable') return item;
    const v = node.variable;
    const head = `**${escapeMarkdown(v.name)}**: \`${v.type.replace(/`/g, "'")}\`${describeVariable(v) ? ` ${escapeMarkdown(describeVariable(v))}` : ''}`;
    let body: string;
    // A busy kernel answers only after its cell: no request is queued behind it on each hover.
    if (node.live.connection.status === 'busy') {
      item.tooltip = new vscode.MarkdownString(`${head}\n\n_Not read while the kernel runs a cell (the view refreshes when it finishes)._`);
      return item;
    }
    try {
      const value = await describeKernelValue(node.live.connection, v.name);
      body = value ? valueMarkdown(value, Boolean(v.shape)) : '_No longer defined in the kernel._';
    } catch (error) {
      body = `_Value not read: ${escapeMarkdown(error instanceof Error ? error.message : String(error))}._`;
    }
    item.tooltip = new vscode.MarkdownString(`${head}\n\n${body}`);
    return item;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

/** The repr in a code block whose fence no run of backticks in it can close, with where the type is defined. */
function valueMarkdown(value: KernelValue, previewable: boolean): string {
  const fence = '`'.repeat(Math.max(3, ...[...value.repr.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  const lines = [`${fence}text`, value.repr, fence];
  if (value.definedAs !== value.type) lines.unshift(`Defined in \`${value.definedAs.replace(/`/g, "'")}\``, '');
  if (value.truncated) lines.push(`_Cut at ${MAX_TOOLTIP_REPR.toLocaleString('en-US')} characters._`);
  if (previewable) lines.push('_Click to open a preview: first and last rows, dtypes, statistics._');
  return lines.join('\n');
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);
}

/** DataFrames and 1-D / 2-D arrays open in the Data Viewer. */
function isTable(v: KernelVariable): boolean {
  return v.type === 'pandas.DataFrame' || v.type === 'polars.DataFrame' || (v.type === 'numpy.ndarray' && (v.shape?.length === 1 || v.shape?.length === 2));
}

function shortType(type: string): string {
  return type.replace(/^(torch|numpy|pandas)\./, (m) => ({ 'torch.': 'torch.', 'numpy.': 'np.', 'pandas.': 'pd.' })[m] ?? m);
}
