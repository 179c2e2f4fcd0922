import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { keptApp, type KeptServers } from '../keptServers';
import type { LocalModelServer } from '../localServer';
import type { LocalServers, ServerEntry } from './localServers';
import { launchServer } from './serveCommand';

// Keep Running After Window Closes (a server's action), and the kept servers found again when the
// serving feature starts in a reloaded or new window: listed in Deployments, stopped from there.

export async function keepServer(entry: ServerEntry, kept: KeptServers): Promise<void> {
  const s = entry.server;
  if (s.state !== 'running' || s.pid === undefined) return;
  const logFile = join(s.options.appDir, 'logs', 'server.log');
  mkdirSync(join(s.options.appDir, 'logs'), { recursive: true });
  // Recorded before it is let go: a server that outlives the window without a record could not
  // be found or stopped again. A record of a server that then dies is dropped by the next restore.
  await kept.keep({ name: entry.name, appDir: s.options.appDir, module: s.options.module, python: s.options.python, port: s.port, pid: s.pid, startedAt: s.startedAt, logFile, ...(s.options.env ? { env: s.options.env } : {}) }, s);
  s.keep(logFile);
  forgetWhenDown(s, kept, s.pid);
  entry.output.appendLine(`[ML Engineer] kept running after the window closes; its output goes to ${logFile}. Stop it from the Deployments view.`);
  void vscode.window.showInformationMessage(`${entry.name} keeps running at ${s.url} after this window closes; the next window on this workspace lists it in Deployments.`);
}

export async function restoreKept(servers: LocalServers, kept: KeptServers, python: () => Promise<string>, log: Logger): Promise<void> {
  const unreadable = (message: string): void => {
    log.error(message);
    void vscode.window.showWarningMessage(message);
  };
  for (const { record, server } of await kept.restore(unreadable)) {
    const output = vscode.window.createOutputChannel(`Model server: ${record.name}`);
    output.appendLine(`[ML Engineer] found again after the window closed: pid ${record.pid} at ${server.url}; its output goes to ${record.logFile}.`);
    const entry: ServerEntry = {
      name: record.name,
      server,
      output,
      restart: async () => {
        await servers.remove(entry);
        // With the approval it was kept with: the same workspace module files, checked as they load.
        await launchServer(keptApp(record), servers, python, log);
      },
    };
    forgetWhenDown(server, kept, record.pid);
    servers.add(entry);
    log.info(`kept model server ${record.name} found again at ${server.url} (pid ${record.pid})`);
  }
}

/** Stopped (from the view) or gone: the next window has nothing to find. */
function forgetWhenDown(server: LocalModelServer, kept: KeptServers, pid: number): void {
  server.onDidChange(() => {
    if (server.state !== 'running') void kept.forget(pid);
  });
}
