import * as vscode from 'vscode';
import type { Tool } from '../../agent/tools/tool';
import { COMMANDS } from '../../commandIds';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { scaffoldDeploymentTool } from '../deploy/deployTool';
import { inspectModelTool } from '../modelTool';
import { deployModel } from './deployCommand';
import { optimizeModel } from './optimizeCommand';
import { benchmarkModel } from './benchmarkCommand';
import { benchmarkModelTool } from '../runtime/benchmarkTool';
import { loadOrt, type OrtModule } from '../runtime/onnxRun';
import { join } from 'node:path';
import { quantizeModelTool } from '../optimize/quantizeTool';
import { registerModelCodeActions } from './modelCodeActions';
import { MODEL_VIEWER, registerModelViewer } from './modelViewer';

const MODEL_FILTERS = { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'ckpt', 'keras'] };

/** The model file a command acts on: the explorer's, the open model viewer's, the editor's, or one the user picks. */
async function modelUri(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && tab.viewType === MODEL_VIEWER) return tab.uri;
  const editor = vscode.window.activeTextEditor?.document.uri;
  if (editor && /\.(onnx|safetensors|gguf|pt|pth|ckpt|keras)$/i.test(editor.fsPath)) return editor;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: MODEL_FILTERS, title });
  return picked?.[0];
}

/** Models: the read-only viewer, Inspect and Deploy (explorer context menu, viewer buttons), and the agent's tools. */
export function registerModels(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): { tools: () => Tool[] } {
  registerModelViewer(context, log);
  registerModelCodeActions(context);
  registerCommand(context, log, COMMANDS.inspectModel, async (arg?: unknown) => {
    const uri = await modelUri(arg, 'Inspect a model');
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_VIEWER);
  });
  registerCommand(context, log, COMMANDS.deployModel, async (arg?: unknown) => {
    const uri = await modelUri(arg, 'Deploy a model');
    if (uri) await deployModel(uri);
  });
  // dist/lazy/ort.js (onnxruntime-web and its .wasm): required on first use, never at activation.
  let ortModule: OrtModule | undefined;
  const ort = (): OrtModule => (ortModule ??= loadOrt(join(context.extensionPath, 'dist', 'lazy', 'ort.js')));
  registerCommand(context, log, COMMANDS.optimizeModel, async (arg?: unknown) => {
    const uri = await modelUri(arg, 'Optimize a model');
    if (uri) await optimizeModel(uri, log, ort);
  });
  registerCommand(context, log, COMMANDS.benchmarkModel, async (arg?: unknown) => {
    const uri = await modelUri(arg, 'Benchmark a model');
    if (uri) await benchmarkModel(uri, log, ort);
  });
  return { tools: () => [inspectModelTool(), scaffoldDeploymentTool(), quantizeModelTool(ort), benchmarkModelTool(ort)] };
}
