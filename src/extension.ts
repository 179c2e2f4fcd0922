// activate() only wires the features together; each feature lives in its own folder.
import * as vscode from 'vscode';
import { registerApiKeyCommands } from './agent/vscode/apiKeyCommands';
import { ApiKeyStore } from './agent/vscode/apiKeyStore';
import { ChatViewProvider } from './chat/vscode/chatViewProvider';
import { EditorActions } from './chat/vscode/editorActions';
import { COMMANDS, VIEWS } from './commandIds';
import { ACTIVATION_LOG_PREFIX, loadedHeavyModules, type ActivationMetrics } from './common/heavyModules';
import { registerCommand } from './common/vscode/commandRegistry';
import { registerDoctorCommand } from './doctor/vscode/doctorCommand';
import { gpuStatusTool } from './gpu/gpuStatusTool';
import { GpuMonitor } from './gpu/vscode/gpuMonitor';
import { registerKernels } from './kernels/vscode/kernelsFeature';
import { registerModels } from './models/vscode/modelsFeature';
import { registerTracking } from './tracking/vscode/trackingFeature';

// Set by the bundle's first and last statements (scripts/build.mjs): how long dist/extension.js took to evaluate.
declare const __mlEngineerLoadStart: number | undefined;
declare const __mlEngineerLoadEnd: number | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const activateStart = performance.now();
  const log = vscode.window.createOutputChannel('ML Engineer', { log: true });
  context.subscriptions.push(log);
  registerCommand(context, log, COMMANDS.showLog, () => log.show(true));

  const apiKeys = new ApiKeyStore(context.secrets);
  context.subscriptions.push(apiKeys);
  void apiKeys.refreshContext();
  registerApiKeyCommands(context, log, apiKeys);

  const kernels = registerKernels(context, log);
  const gpus = new GpuMonitor(log, context.extensionUri, () => kernels.owners());
  context.subscriptions.push(gpus);
  registerCommand(context, log, COMMANDS.showGpuCharts, () => gpus.showCharts());
  // A notebook whose kernel runs on a remote server shows that machine's GPUs.
  const syncRemoteGpus = (): void => gpus.setRemote(kernels.activeRemote());
  context.subscriptions.push(kernels.kernels.onDidChange(syncRemoteGpus), vscode.window.onDidChangeActiveNotebookEditor(syncRemoteGpus));

  const tracking = registerTracking(context, log);
  const models = registerModels(context, log);

  // Each feature's agent tools, added to every conversation's registry.
  const featureTools = () => [gpuStatusTool(() => gpus.reading(), () => gpus.processLines()), ...kernels.tools(), ...tracking.tools(), ...models.tools()];

  const editorActions = new EditorActions(context.extensionPath);
  const chat = new ChatViewProvider(context, apiKeys, editorActions, log, featureTools);
  context.subscriptions.push(
    editorActions,
    chat,
    vscode.window.registerWebviewViewProvider(VIEWS.chat, chat, { webviewOptions: { retainContextWhenHidden: true } }),
  );
  registerCommand(context, log, COMMANDS.openChat, () => vscode.commands.executeCommand(`${VIEWS.chat}.focus`));

  registerDoctorCommand(context, log, apiKeys);

  const metrics: ActivationMetrics = {
    load_ms: round(
      typeof __mlEngineerLoadStart === 'number' && typeof __mlEngineerLoadEnd === 'number' ? __mlEngineerLoadEnd - __mlEngineerLoadStart : NaN,
    ),
    activate_ms: round(performance.now() - activateStart),
    heavy_modules_loaded: loadedHeavyModules(Object.keys(require.cache)),
  };
  log.info(`${ACTIVATION_LOG_PREFIX}${JSON.stringify(metrics)}`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
