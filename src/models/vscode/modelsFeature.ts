import * as vscode from 'vscode';
import { modelUriArg } from '../../common/vscode/modelUriArg';
import type { FeatureHost, FeatureModule } from '../../activation/featureHost';
import type { Tool } from '../../agent/tools/tool';
import { COMMANDS, SETTINGS } from '../../commandIds';
import { lazyBundle, lazyBundlePath } from '../../common/lazyBundle';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { readerLimits } from '../../common/vscode/readerLimits';
import type * as ModelsCore from '../lazy/modelsCore';
import { benchmarkModel } from './benchmarkCommand';
import { deployModel } from './deployCommand';
import { exportModel } from './exportCommand';
import { registerModelGraph } from './graphView';
import { requireTrust } from '../../common/vscode/workspaceTrust';
import { pythonForModels } from './modelForCommand';
import { optimizeModel } from './optimizeCommand';
import { registerModelCodeActions } from './modelCodeActions';
import { MODEL_VIEWER, registerModelViewer, type InspectModel } from './modelViewer';

const MODEL_FILTERS = { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'ckpt', 'keras', 'pkl', 'joblib'] };

/** The model file a command acts on: the explorer's, the open model viewer's, the editor's, or one the user picks. */
async function modelUri(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  const given = modelUriArg(arg);
  if (given) return given;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && tab.viewType === MODEL_VIEWER) return tab.uri;
  const editor = vscode.window.activeTextEditor?.document.uri;
  if (editor && /\.(onnx|safetensors|gguf|pt|pth|ckpt|keras|pkl|joblib)$/i.test(editor.fsPath)) return editor;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: MODEL_FILTERS, title });
  return picked?.[0];
}

/** Models: the read-only viewer, Inspect and Deploy (explorer context menu, viewer buttons), and the agent's tools. */
export function registerModels(host: FeatureHost): { tools: () => Tool[] } {
  const { context, log } = host;
  // dist/lazy/models.js (the reader's host side, scaffolds, quantizer, tools) and dist/lazy/ort.js
  // (onnxruntime-web and its .wasm): required on first use, never at activation.
  const bundle = lazyBundle<typeof ModelsCore>(context.extensionPath, 'models');
  // Model files are read in a worker (dist/workers/models.js) within the readers' budget (settings).
  const applyLimits = (c: typeof ModelsCore): typeof ModelsCore => (c.modelReader().setLimits(readerLimits('models')), c);
  const core = (): typeof ModelsCore => (bundle.peek() ?? applyLimits(bundle()));
  let ortModule: ModelsCore.OrtModule | undefined;
  const ort = (): ModelsCore.OrtModule => (ortModule ??= core().loadOrt(lazyBundlePath(context.extensionPath, 'ort')));
  const inspect: InspectModel = (uri, signal) => core().modelReader().inspect(uri.fsPath, signal);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      const loaded = bundle.peek();
      if (loaded && e.affectsConfiguration(SETTINGS.readers)) applyLimits(loaded);
    }),
    { dispose: () => bundle.peek()?.stopModelReader() },
  );
  registerModelViewer(host, core, inspect);
  registerModelCodeActions(host);
  registerModelGraph(context, log, core, modelUri);
  registerCommand(context, log, COMMANDS.inspectModel, async (arg?: unknown) => {
    const uri = await modelUri(arg, 'Inspect a model');
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_VIEWER);
  });
  registerCommand(context, log, COMMANDS.deployModel, async (arg?: unknown) => {
    requireTrust('Deploy writes a serving scaffold and copies the model into it');
    const uri = await modelUri(arg, 'Deploy a model');
    if (uri) await deployModel(uri, core());
  });
  registerCommand(context, log, COMMANDS.optimizeModel, async (arg?: unknown) => {
    requireTrust('Optimize runs your Python and onnxruntime on the model');
    const uri = await modelUri(arg, 'Optimize a model');
    if (uri) await optimizeModel(uri, log, core(), ort);
  });
  registerCommand(context, log, COMMANDS.exportModel, async (arg?: unknown) => {
    requireTrust('Export runs your Python (torch, scikit-learn) on the model, which loads its code');
    const uri = await modelUri(arg, 'Export a model');
    if (uri) await exportModel(uri, log, core());
  });
  registerCommand(context, log, COMMANDS.benchmarkModel, async (arg?: unknown) => {
    requireTrust('Benchmark runs the model with onnxruntime');
    const uri = await modelUri(arg, 'Benchmark a model');
    if (uri) await benchmarkModel(uri, log, core(), ort);
  });
  const python = (): Promise<string> => pythonForModels(log);
  const workspaceRoot = (): string => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  // Tools are made when a conversation starts: the first one loads dist/lazy/models.js.
  return {
    tools: () => core().modelTools({ ort, python, cwd: workspaceRoot }),
  };
}

/** dist/features/models.js (src/activation/). */
export const activateFeature: FeatureModule<'models'>['activateFeature'] = registerModels;
