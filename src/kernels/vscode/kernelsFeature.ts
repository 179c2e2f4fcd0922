import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { FeatureApis, FeatureHost, FeatureModule } from '../../activation/featureHost';
import { COMMANDS, STATUS_BAR_ITEMS, VIEWS } from '../../commandIds';
import { UserError } from '../../common/errors';
import { lazyBundle } from '../../common/lazyBundle';
import { registerCommand, reportError } from '../../common/vscode/commandRegistry';
import { serverSettings } from '../jupyterEndpoint';
import type { JupyterLib } from '../jupyterLib';
import { AgentExecutions, kernelTools } from '../kernelTools';
import { JupyterServers, LOCAL_SERVER_ID } from './jupyterServers';
import { KernelsTree, type KernelsNode } from './kernelsTree';
import { NotebookKernels } from './notebookKernels';
import { registerVariablePreview } from './variablePreview';
import { registerKernelDataCommands } from '../../data/kernel/vscode/kernelDataCommands';
import { KernelDatasetSource } from '../../data/kernel/kernelDatasetSource';

/** Kernels: servers, notebook controllers, the Kernels view, commands and the agent's kernel tools. */
export function registerKernels(host: FeatureHost): FeatureApis['kernels'] {
  const { context, log } = host;
  // dist/lazy/jupyter.js: required on first use, never at activation (docs/architecture.md).
  const loadLib = lazyBundle<JupyterLib>(context.extensionPath, 'jupyter');
  const servers = new JupyterServers(context, log, loadLib);
  const kernels = new NotebookKernels(context, log, servers);
  const tree = new KernelsTree(servers, kernels);
  const view = host.treeView(VIEWS.kernels, tree);
  const status = vscode.window.createStatusBarItem(STATUS_BAR_ITEMS.kernel, vscode.StatusBarAlignment.Right, 101);
  status.name = 'ML Engineer: Kernel';
  status.command = `${VIEWS.kernels}.focus`;
  context.subscriptions.push(servers, kernels, tree, view, status);

  // Servers are looked at when something needs them. The Kernels view only reconnects to what
  // runs already; a notebook opening (or the agent) also starts the local server.
  let restored: Promise<void> | undefined;
  const restore = (reason: string): Promise<void> =>
    (restored ??= (async () => {
      log.info(`Jupyter: connecting (${reason})`);
      await servers.restore();
    })().catch((error: unknown) => {
      restored = undefined;
      void reportError(log, error, 'Connecting to Jupyter');
    }));
  let started: Promise<void> | undefined;
  const start = (reason: string): Promise<void> =>
    (started ??= (async () => {
      await restore(reason);
      const autoStart = vscode.workspace.getConfiguration('mlEngineer').get<boolean>('jupyter.autoStartLocalServer', true);
      if (autoStart && vscode.workspace.isTrusted && servers.get(LOCAL_SERVER_ID)?.state !== 'ready') await servers.ensureLocal();
    })().catch((error: unknown) => {
      started = undefined;
      void reportError(log, error, 'Starting Jupyter');
    }));
  const isNotebook = (n: vscode.NotebookDocument) => n.notebookType === 'jupyter-notebook';
  if (vscode.workspace.notebookDocuments.some(isNotebook)) void start('a notebook is open');
  context.subscriptions.push(
    vscode.workspace.onDidOpenNotebookDocument((n) => (isNotebook(n) ? void start(`opened ${basename(n.uri.path)}`) : undefined)),
    view.onDidChangeVisibility((e) => {
      servers.setPolling(e.visible);
      if (e.visible) void restore('the Kernels view is shown');
    }),
  );
  if (view.visible) {
    servers.setPolling(true);
    void restore('the Kernels view is shown');
  }

  const updateStatus = (): void => {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const live = notebook ? kernels.forNotebook(notebook) : undefined;
    if (!live) {
      status.hide();
      return;
    }
    const state = kernels.stateOf(live);
    status.text = `${state === 'busy' ? '$(loading~spin)' : state === 'idle' ? '$(circle-large-outline)' : '$(debug-disconnect)'} ${live.spec.displayName}: ${state}`;
    status.tooltip = `Kernel ${live.binding.kernelId} on ${live.server.label}`;
    status.show();
  };
  context.subscriptions.push(kernels.onDidChange(updateStatus), servers.onDidChange(updateStatus), vscode.window.onDidChangeActiveNotebookEditor(updateStatus));

  registerCommand(context, log, COMMANDS.connectJupyterServer, async () => {
    await restore('connecting a server');
    const entry = await servers.connectRemote();
    if (entry) void vscode.window.showInformationMessage(`Connected to ${entry.label}: its kernels are in the notebook kernel picker.`);
  });
  registerCommand(context, log, COMMANDS.disconnectJupyterServer, async (node?: unknown) => {
    const remote = await pickServer(servers, node, 'remote');
    if (!remote) return;
    const attached = servers.attachedServer(remote);
    if (attached) {
      // A server on a job: disconnecting it ends the job, and the GPUs it holds go back.
      const answer = await vscode.window.showWarningMessage(`Stop ${attached.label}? Its kernels shut down and the job ends.`, { modal: true }, 'Stop Kernel Job');
      if (answer !== 'Stop Kernel Job') return;
    }
    await servers.disconnect(remote);
  });
  registerCommand(context, log, COMMANDS.startLocalJupyterServer, async () => {
    await servers.restore();
    await servers.ensureLocal();
  });
  registerCommand(context, log, COMMANDS.shutdownLocalJupyterServer, async () => {
    const busy = servers.get(LOCAL_SERVER_ID)?.kernels.filter((k) => k.execution_state === 'busy').length ?? 0;
    if (busy > 0) {
      const answer = await vscode.window.showWarningMessage(`${busy} kernel(s) on the local server are busy. Shut it down anyway?`, { modal: true }, 'Shut Down');
      if (answer !== 'Shut Down') return;
    }
    await servers.shutdownLocal();
  });
  registerCommand(context, log, COMMANDS.refreshKernels, async () => {
    await restore('refresh');
    await servers.refresh();
    for (const live of kernels.liveKernels()) kernels.refreshVariables(live);
  });

  const kernelAction = (action: 'interrupt' | 'restart' | 'shutdown') => async (node?: unknown) => {
    const target = kernelNode(node);
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const live = target?.live ?? (target ? undefined : notebook ? kernels.forNotebook(notebook) : undefined);
    if (!target && !live) throw new UserError('Pick a kernel in the Kernels view, or open a notebook that uses an ML Engineer kernel.');
    if (action !== 'interrupt') {
      const answer = await vscode.window.showWarningMessage(
        `${action === 'restart' ? 'Restart' : 'Shut down'} the kernel${live ? ` of ${basename(live.notebook.uri.path)}` : ''}? Its variables will be lost.`,
        { modal: true },
        action === 'restart' ? 'Restart' : 'Shut Down',
      );
      if (!answer) return;
    }
    if (live && action !== 'shutdown') {
      await (action === 'interrupt' ? live.connection.interrupt() : live.connection.restart());
    } else {
      const server = target?.server ?? live!.server;
      const id = target?.model.id ?? live!.binding.kernelId;
      if (!server.endpoint) throw new UserError(`${server.label} is not connected.`);
      const settings = serverSettings(loadLib(), server.endpoint);
      const api = loadLib().KernelAPI;
      await (action === 'interrupt' ? api.interruptKernel(id, settings) : action === 'restart' ? api.restartKernel(id, settings) : api.shutdownKernel(id, settings));
    }
    log.info(`Jupyter: ${action} kernel ${target?.model.id ?? live?.binding.kernelId}`);
    await servers.refresh();
  };
  registerVariablePreview(context, log);
  registerKernelDataCommands(host, kernels);
  registerCommand(context, log, COMMANDS.interruptKernel, kernelAction('interrupt'));
  registerCommand(context, log, COMMANDS.restartKernel, kernelAction('restart'));
  registerCommand(context, log, COMMANDS.shutdownKernel, kernelAction('shutdown'));

  const executions = new AgentExecutions();
  const targets = {
    active: async () => {
      await start('the agent uses a kernel');
      return kernels.active();
    },
  };
  // Kernels on the local server run on this machine: their pids name GPU processes.
  const owners = (): ReadonlyMap<number, string> =>
    new Map(
      kernels
        .liveKernels()
        .filter((k) => k.server.kind === 'local' && k.inspection)
        .map((k) => [k.inspection!.pid, basename(k.notebook.uri.path)] as const),
    );
  // The active notebook's kernel when it runs on a remote server: the GPUs shown are that machine's.
  const activeRemote: FeatureApis['kernels']['activeRemote'] = () => {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const live = notebook ? kernels.forNotebook(notebook) : undefined;
    if (!live || live.server.kind !== 'remote' || live.connection.isDisposed) return undefined;
    return { key: live.binding.kernelId, label: live.server.label, connection: live.connection };
  };
  const variableSource: FeatureApis['kernels']['variableSource'] = async (variable, signal) => KernelDatasetSource.open((await targets.active()).connection, variable, signal);
  return { tools: () => kernelTools(targets, executions), onDidChange: kernels.onDidChange, owners, activeRemote, variableSource, activeKernel: () => targets.active(), attachServer: (server) => servers.attach(server) };
}

/** dist/features/kernels.js (src/activation/). */
export const activateFeature: FeatureModule<'kernels'>['activateFeature'] = registerKernels;

function kernelNode(node: unknown): Extract<KernelsNode, { kind: 'kernel' }> | undefined {
  return typeof node === 'object' && node !== null && (node as KernelsNode).kind === 'kernel' ? (node as Extract<KernelsNode, { kind: 'kernel' }>) : undefined;
}

async function pickServer(servers: JupyterServers, node: unknown, kind: 'remote'): Promise<string | undefined> {
  if (typeof node === 'object' && node !== null && (node as KernelsNode).kind === 'server') return (node as Extract<KernelsNode, { kind: 'server' }>).server.id;
  const choices = servers.list().filter((s) => s.kind === kind);
  if (choices.length === 0) throw new UserError('No remote Jupyter server is connected.');
  const picked = await vscode.window.showQuickPick(
    choices.map((s) => ({ label: s.label, description: s.baseUrl, id: s.id })),
    { title: 'Disconnect Jupyter Server' },
  );
  return picked?.id;
}
