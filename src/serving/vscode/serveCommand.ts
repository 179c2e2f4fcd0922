import { statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, SETTINGS } from '../../commandIds';
import { UserError } from '../../common/errors';
import { existingFiles, writeDeployment } from '../../models/deploy/deployPlan';
import { modelReader } from '../../models/modelReader';
import { uniqueServerName, type ServedApp } from '../agentServers';
import { LocalModelServer } from '../localServer';
import { sampleBody } from '../sampleRequest';
import { appDirFor, markServedModel } from '../appFolder';
import { planServeApp, servableApp, servingLoadsPickle } from '../servePlan';
import { approvalNotHeld, approvedModulesEnv, pickledWorkspaceModules } from '../pickledWorkspaceModules';
import { olderAppWarning } from '../requestLogText';
import type { LocalServers, ServerEntry } from './localServers';
import type { Logger } from '../../common/logger';
import { trustPickle } from './servingTrust';

// Serve Locally: on a folder holding app.py, serve it; on a model file, show the app that will be
// written (Deploy's FastAPI scaffold for ONNX, the scikit-learn app for a pickle), write it after the
// user says yes, then serve it. The server starts with the user's Python on 127.0.0.1 with a token,
// its output in an output channel; once /health answers, the sample request is sent and shown.

export async function serveLocally(target: vscode.Uri, servers: LocalServers, python: () => Promise<string>, log: vscode.LogOutputChannel): Promise<void> {
  let app: ServedApp | undefined = statSync(target.fsPath).isDirectory() ? servableApp(target.fsPath) : undefined;
  if (statSync(target.fsPath).isDirectory() && !app) throw new UserError(`${basename(target.fsPath)} holds no app.py (or main.py) to serve: use Serve Locally on a model file, or ML Engineer: Deploy Model first.`);
  if (!app) {
    const info = await modelReader().inspect(target.fsPath);
    const root = vscode.workspace.getWorkspaceFolder(target)?.uri.fsPath ?? join(target.fsPath, '..');
    const modules = servingLoadsPickle(info) ? pickledWorkspaceModules(info, root) : [];
    if (servingLoadsPickle(info) && !(await trustPickle(target, modules.map((m) => relative(root, m.file))))) return;
    // The app runs the module files just approved, as they were hashed for the question.
    const env = approvedModulesEnv(modules, root);
    const plan = (() => {
      try {
        return markServedModel(planServeApp(info, target.fsPath), root, target.fsPath);
      } catch (error) {
        throw new UserError(error instanceof Error ? error.message : String(error));
      }
    })();
    const { appDir: dir, exists } = await appDirFor(root, target.fsPath);
    if (exists) {
      app = { appDir: dir, module: 'app', env };
      const unheld = approvalNotHeld(app);
      if (unheld) throw new UserError(unheld);
    } else {
      const clash = existingFiles(plan, dir);
      if (clash.length) throw new UserError(`${vscode.workspace.asRelativePath(dir)} already holds ${clash.join(', ')}: remove them or serve that folder.`);
      const files = [...plan.files.map((f) => f.path), ...plan.copies.map((c) => c.to)];
      const ok = await vscode.window.showInformationMessage(`Serve ${basename(target.fsPath)}: write a FastAPI app into ${vscode.workspace.asRelativePath(dir)} (${files.join(', ')}) and run it on 127.0.0.1 with your Python?`, { modal: true }, 'Write and Serve');
      if (ok !== 'Write and Serve') return;
      writeDeployment(plan, dir);
      app = { appDir: dir, module: 'app', env };
    }
  }
  await startServer(app, servers, python, log);
}

async function startServer(app: ServedApp, servers: LocalServers, python: () => Promise<string>, log: vscode.LogOutputChannel): Promise<void> {
  const name = basename(app.appDir);
  const entry = await withStartProgress(name, (signal) => launchServer(app, servers, python, log, signal));
  const { server, output } = entry;
  const sample = await sampleBody(server);
  let answer = '';
  if (sample) {
    const reply = await server.call('/predict', sample);
    output.appendLine(`[ML Engineer] sample request ${sample.trim().slice(0, 500)} -> ${reply.status} ${reply.body.slice(0, 2000)}`);
    answer = ` The sample request answered ${reply.status}: ${reply.body.slice(0, 200)}`;
  }
  const pick = await vscode.window.showInformationMessage(`${entry.name} is serving at ${server.url} (token in its actions).${answer}`, 'Load Test…', 'Open Docs', 'Show Output');
  if (pick === 'Show Output') output.show(true);
  else if (pick === 'Open Docs') await vscode.env.openExternal(vscode.Uri.parse(`${server.url}/docs`));
  else if (pick === 'Load Test…') await vscode.commands.executeCommand(COMMANDS.loadTestServer, entry.name);
}

/**
 * Starts an app with its own output channel and adds it to the window's servers (Deployments view,
 * status bar, stopped with the window): Serve Locally's start and the agent's serve_locally.
 */
export async function launchServer(app: ServedApp, servers: LocalServers, python: () => Promise<string>, log: Logger, signal?: AbortSignal): Promise<ServerEntry> {
  const interpreter = await python();
  const output = vscode.window.createOutputChannel(`Model server: ${vscode.workspace.asRelativePath(app.appDir, false)}`);
  const port = vscode.workspace.getConfiguration().get<number>(SETTINGS.servingPort, 0);
  let server: LocalModelServer;
  try {
    server = await LocalModelServer.start({ python: interpreter, ...app, port, ...(signal ? { signal } : {}), onLine: (line) => output.appendLine(line) });
  } catch (error) {
    output.show(true);
    throw error;
  }
  // Named once started, so two starts at once cannot take the same name.
  const name = uniqueServerName(app, servers.all, (dir) => vscode.workspace.asRelativePath(dir, false));
  const entry: ServerEntry = {
    name,
    server,
    output,
    restart: async () => {
      await servers.remove(entry);
      await withStartProgress(entry.name, (restartSignal) => launchServer(app, servers, python, log, restartSignal));
    },
  };
  servers.add(entry);
  log.info(`model server ${name} at ${server.url} (pid ${server.pid ?? '?'})`);
  // An app of ours written before load-test keys: said, never rewritten without the user (requestLogText.ts).
  const older = olderAppWarning(app.appDir, app.module);
  if (older) {
    output.appendLine(`[ML Engineer] ${older}`);
    void vscode.window.showWarningMessage(older);
  }
  return entry;
}

function withStartProgress<T>(name: string, start: (signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${name} on 127.0.0.1`, cancellable: true }, (_, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return start(abort.signal);
  });
}
