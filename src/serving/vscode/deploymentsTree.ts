import { basename } from 'node:path';
import * as vscode from 'vscode';
import { TREE_ITEMS } from '../../commandIds';
import { servedModelFile } from '../servedStats';
import type { LocalServers, ServerEntry } from './localServers';

// The Deployments view: the model servers this window started (Serve Locally), each with its URL,
// model, state, uptime and the /predict requests and errors it answered. The row's buttons are the
// serving commands given the server's name (Load Test…, and the server's own actions: Stop,
// Restart, Open Docs, Show Output), so the view adds no command to the activation path. Uptime is
// redrawn every 10 s while a server runs and the view is visible, and the request logs read then too
// (async, from their last offset): p50/p95 cover every client's requests where the app logs them.

export type DeploymentNode = { readonly kind: 'server'; readonly entry: ServerEntry; readonly name: string } | { readonly kind: 'value'; readonly label: string; readonly description: string; readonly tooltip?: string };

const ICONS: Record<string, string> = { starting: 'loading~spin', running: 'server-process', stopped: 'debug-stop', failed: 'error' };

export function uptimeText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export class DeploymentsTree implements vscode.TreeDataProvider<DeploymentNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<DeploymentNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly timer = setInterval(() => {
    const running = this.servers.running();
    if (!this.visible() || !running.length) return;
    for (const e of running) void e.server.pollRequestLog();
    this.refresh();
  }, 10_000);

  constructor(
    private readonly servers: LocalServers,
    private readonly visible: () => boolean,
  ) {}

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getChildren(node?: DeploymentNode): DeploymentNode[] {
    if (!node) return this.servers.all.map((entry) => ({ kind: 'server', entry, name: entry.name }));
    if (node.kind !== 'server') return [];
    const s = node.entry.server;
    const latency = s.servedLatency();
    return [
      { kind: 'value', label: 'URL', description: s.url },
      { kind: 'value', label: 'model', description: modelText(s.options.appDir) },
      { kind: 'value', label: 'state', description: s.kept ? `${s.state}, kept after the window closes` : s.state },
      { kind: 'value', label: 'uptime', description: s.state === 'running' ? uptimeText(Date.now() - s.startedAt) : '—' },
      { kind: 'value', label: 'requests', description: `${s.requests} (${s.errors} error${s.errors === 1 ? '' : 's'})` },
      { kind: 'value', label: 'latency', description: latency.window.text(), tooltip: `${latency.window.text()}: ${latency.source}` },
      { kind: 'value', label: 'pid', description: String(s.pid ?? '—') },
    ];
  }

  getTreeItem(node: DeploymentNode): vscode.TreeItem {
    if (node.kind === 'value') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.description = node.description;
      item.tooltip = node.tooltip ?? node.description;
      return item;
    }
    const s = node.entry.server;
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `deployment:${node.name}:${s.port}`;
    const latency = s.servedLatency();
    const p = latency.window.percentiles();
    item.description = [`:${s.port}`, s.state === 'running' ? uptimeText(Date.now() - s.startedAt) : s.state, `${s.requests} req${s.errors ? `, ${s.errors} err` : ''}`, ...(p ? [`p50 ${p.p50.toFixed(1)} ms`] : []), ...(s.kept ? ['kept'] : [])].join(' · ');
    item.tooltip = `${node.name}\n${s.url}\n${s.options.appDir}\n${s.state}, ${s.requests} requests, ${s.errors} errors (uvicorn's access lines)\nlatency: ${latency.source}`;
    item.iconPath = new vscode.ThemeIcon(ICONS[s.state] ?? 'server', s.state === 'failed' ? new vscode.ThemeColor('errorForeground') : undefined);
    item.contextValue = `${TREE_ITEMS.deployment}.${s.state}`;
    return item;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.emitter.dispose();
  }
}

/** The model file the app serves (its model/ folder), else the app folder. */
function modelText(appDir: string): string {
  const file = servedModelFile(appDir);
  return file ? `${basename(file)} (${file})` : `${basename(appDir)} (${appDir})`;
}

/** A command's server name: a string, or a Deployments row. */
export function serverNameArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as Partial<DeploymentNode> | null | undefined;
  return node && typeof node === 'object' && node.kind === 'server' && typeof node.name === 'string' ? node.name : undefined;
}
