import * as vscode from 'vscode';
import { COMMANDS, STATUS_BAR_ITEMS } from '../../commandIds';
import type { LocalModelServer } from '../localServer';

// The servers this window started: one output channel each (uvicorn's lines), a status bar item
// while any runs (click: the actions), and stopped when the window closes (dispose) unless kept.

export interface ServerEntry {
  readonly name: string;
  readonly server: LocalModelServer;
  readonly output: vscode.OutputChannel;
  /** Starts the same app again (Restart). */
  readonly restart: () => Promise<void>;
}

export class LocalServers implements vscode.Disposable {
  private readonly entries: ServerEntry[] = [];
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ITEMS.localServers, vscode.StatusBarAlignment.Left, 50);
  private readonly changes = new vscode.EventEmitter<void>();
  /** A server was added, removed, or changed state or counts (the Deployments view redraws). */
  readonly onDidChange = this.changes.event;

  constructor() {
    this.item.name = 'ML Engineer: local model servers';
    this.item.command = COMMANDS.localServerActions;
  }

  get all(): readonly ServerEntry[] {
    return this.entries;
  }

  running(): ServerEntry[] {
    return this.entries.filter((e) => e.server.state === 'running');
  }

  add(entry: ServerEntry): void {
    this.entries.push(entry);
    entry.server.onDidChange(() => this.refresh());
    this.refresh();
  }

  async remove(entry: ServerEntry): Promise<void> {
    await entry.server.stop();
    const at = this.entries.indexOf(entry);
    if (at >= 0) this.entries.splice(at, 1);
    this.refresh();
  }

  refresh(): void {
    this.changes.fire();
    const running = this.running();
    if (running.length === 0) {
      this.item.hide();
      return;
    }
    this.item.text = running.length === 1 ? `$(server-process) ${running[0]!.name} :${running[0]!.server.port}` : `$(server-process) ${running.length} model servers`;
    this.item.tooltip = running.map((e) => `${e.name}: ${e.server.url} — ${e.server.requests} requests, ${e.server.errors} errors`).join('\n');
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    this.changes.dispose();
    // The window is closing: every server we started stops with it, unless the user kept it.
    for (const entry of this.entries) {
      if (!entry.server.kept) void entry.server.stop();
      entry.output.dispose();
    }
    this.entries.length = 0;
  }
}
