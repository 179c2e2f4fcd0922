import * as vscode from 'vscode';
import type { FeatureHost, FeatureModule } from '../../activation/featureHost';
import { COMMANDS, VIEWS } from '../../commandIds';
import { UserError } from '../../common/errors';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { modelUriArg } from '../../common/vscode/modelUriArg';
import { detectDriftTool } from '../../monitoring/driftTool';
import { lazyBundlePath } from '../../common/lazyBundle';
import { compareModelsOnDataTool, compareModelsTool } from '../../models/compare/compareTool';
import { loadOrt, type OrtModule } from '../../models/runtime/onnxRun';
import { compareModelsCommand } from './compareModelsCommand';
import { DeploymentsTree, serverNameArg, type DeploymentNode } from './deploymentsTree';
import { compareForDrift } from './driftCommand';
import { loadTestServer } from './loadTestCommand';
import { LocalServers } from './localServers';
import { KeptServers } from '../keptServers';
import { keepServer, restoreKept } from './keptServersCommand';
import { serveLocally } from './serveCommand';
import { requireTrust } from '../../common/vscode/workspaceTrust';
import { servingPython } from './servingTrust';
import { sendRequestsTool, serveLocallyTool } from '../servingTools';
import { loadTestTool } from '../loadTestTool';
import { stopServerTool } from '../stopServerTool';
import { loadTestWorkerScript } from '../loadTestInWorker';
import { agentServerHost } from './agentServerHost';

/** dist/features/serving.js (src/activation/): Serve Locally, the local servers, Load Test, drift, Compare Models, and their agent tools. */
export const activateFeature: FeatureModule<'serving'>['activateFeature'] = (host: FeatureHost) => {
  const { context, log } = host;
  const servers = new LocalServers();
  context.subscriptions.push(servers);
  // The view is made below; the tree asks it only later (its uptime timer).
  const tree = new DeploymentsTree(servers, () => view.visible);
  const view: vscode.TreeView<DeploymentNode> = host.treeView(VIEWS.deployments, tree);
  context.subscriptions.push(tree, view);
  servers.onDidChange(() => tree.refresh());
  const python = (): Promise<string> => servingPython(log);
  const kept = new KeptServers(context.workspaceState, context.secrets);
  void restoreKept(servers, kept, python, log).catch((error: unknown) => log.warn(`kept model servers: ${String(error)}`));
  registerCommand(context, log, COMMANDS.serveLocally, async (arg?: unknown) => {
    requireTrust('Serve Locally runs your Python on the model and its app');
    const target = modelUriArg(arg) ?? (await vscode.window.showOpenDialog({ title: 'Serve a model or an app folder', canSelectFolders: true, canSelectFiles: true, filters: { Models: ['onnx', 'pkl', 'joblib', 'pt', 'pth'] } }))?.[0];
    if (target) await serveLocally(target, servers, python, log);
  });
  registerCommand(context, log, COMMANDS.loadTestServer, async (name?: unknown) => {
    requireTrust('Load Test sends requests to a model server started from this workspace');
    await loadTestServer(servers, context, log, serverNameArg(name));
  });
  registerCommand(context, log, COMMANDS.stopLocalServers, async () => {
    for (const entry of [...servers.all]) await servers.remove(entry);
  });
  registerCommand(context, log, COMMANDS.localServerActions, async (row?: unknown) => {
    const only = serverNameArg(row);
    const all = servers.all.filter((e) => only === undefined || e.name === only);
    if (all.length === 0) throw new UserError('No local model server: use ML Engineer: Serve Locally on a model or an app folder.');
    const items = all.flatMap((e) => [
      { label: `$(server-process) ${e.name}`, kind: vscode.QuickPickItemKind.Separator },
      { label: '$(pulse) Load Test…', description: `${e.server.url} · ${e.server.state} · ${e.server.requests} requests, ${e.server.errors} errors`, run: () => loadTestServer(servers, context, log, e.name) },
      { label: '$(output) Show Output', run: () => Promise.resolve(e.output.show(true)) },
      { label: '$(globe) Open Docs in the Browser', run: async () => void (await vscode.env.openExternal(vscode.Uri.parse(`${e.server.url}/docs`))) },
      { label: '$(key) Copy the Token', run: async () => vscode.env.clipboard.writeText(e.server.token) },
      ...(e.server.kept || e.server.state !== 'running' ? [] : [{ label: '$(pin) Keep Running After Window Closes', run: () => keepServer(e, kept) }]),
      { label: '$(debug-restart) Restart', run: e.restart },
      { label: '$(debug-stop) Stop', run: () => servers.remove(e) },
    ]);
    const pick = await vscode.window.showQuickPick(items, { title: 'Local model servers' });
    if (pick && 'run' in pick && pick.run) await pick.run();
  });
  // A kernel DataFrame as a side of a drift comparison: the kernels feature, loaded when asked for.
  const activeKernel = () => host.load('kernels', 'drift on a kernel DataFrame').activeKernel();
  registerCommand(context, log, COMMANDS.detectDrift, (arg?: unknown) => compareForDrift(arg, servers, activeKernel, context, log));
  // onnxruntime-web (dist/lazy/ort.js) is required on first use only.
  let ortModule: OrtModule | undefined;
  const ort = (): OrtModule => (ortModule ??= loadOrt(lazyBundlePath(context.extensionPath, 'ort')));
  registerCommand(context, log, COMMANDS.compareModels, async (clicked?: unknown, selected?: unknown) => {
    requireTrust('Compare Models runs both models with onnxruntime');
    await compareModelsCommand(clicked, selected, ort, python, context);
  });
  const cwd = (): string => vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? context.globalStorageUri.fsPath;
  const agentServers = { servers: agentServerHost(servers, python, log) };
    return { tools: () => [serveLocallyTool(agentServers), sendRequestsTool(agentServers), loadTestTool({ ...agentServers, loadTestScript: () => loadTestWorkerScript(context.extensionPath) }), stopServerTool(agentServers), detectDriftTool(undefined, async () => (await activeKernel()).connection), compareModelsTool(ort), compareModelsOnDataTool(ort, python, cwd)] };
};
