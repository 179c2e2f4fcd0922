import { lstatSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { userPython } from '../../python/vscode/pythonExtension';
import { trustModelFile } from '../../common/vscode/modelCodeTrust';
import type * as ModelsCore from '../lazy/modelsCore';

/** The model a command acts on, inspected in the reader worker; a file that is not a model, or that overran its reader, becomes a notification that says why. */
export async function inspectForCommand(core: typeof ModelsCore, model: vscode.Uri): Promise<ReturnType<typeof ModelsCore.inspectModel>> {
  try {
    return await core.modelReader().inspect(model.fsPath);
  } catch (error) {
    if (error instanceof core.ModelFormatError) throw new UserError(`${basename(model.fsPath)}: ${error.message}`);
    throw error;
  }
}

/** A first guess at the input shape from the first weight: [out, in] → 1×in, [out, in, k, k] → 1×in×224×224. */
export function guessShape(info: ReturnType<typeof ModelsCore.inspectModel>): string {
  const first = info.tensors.find((t) => t.shape.length === 2 || t.shape.length === 4)?.shape;
  if (first?.length === 2) return `1, ${String(first[1])}`;
  if (first?.length === 4) return `1, ${String(first[1])}, 224, 224`;
  return '1, 3, 224, 224';
}


/**
 * Loading a model file runs code: a pickled module its classes' code, a TorchScript archive the
 * code it holds (torch.jit.load also unpickles its constants). The user says yes first.
 */
export function trustModelCode(model: vscode.Uri, info: ReturnType<typeof ModelsCore.inspectModel>, action: string, kind: 'pickle' | 'torchscript' = 'pickle'): Promise<boolean> {
  const classes = (info.warnings ?? []).find((p) => p.startsWith('pickles Python classes'))?.replace(/^pickles Python classes \(([^)]*)\).*$/, '$1');
  return trustModelFile(model, { kind, action, ...(classes ? { classes } : {}) });
}

/** The user's Python (setting, Python extension, PATH): model jobs run in it, with its packages. */
export function pythonForModels(log: Logger): Promise<string> {
  return userPython(log, 'for torch, onnxruntime or scikit-learn');
}

/** Whether to write `out`: yes when it is new, else the user says Replace; never through a symbolic link (a dangling one too). */
export async function mayWrite(out: string): Promise<boolean> {
  const stat = lstatSync(out, { throwIfNoEntry: false });
  if (!stat) return true;
  if (stat.isSymbolicLink()) throw new UserError(`${basename(out)} is a symbolic link: ML Engineer does not write through links. Remove it (or move the model) and try again.`);
  return (await vscode.window.showWarningMessage(`${basename(out)} exists. Replace it?`, { modal: true }, 'Replace')) === 'Replace';
}

/** The model's workspace folder, else its own folder: where its jobs run (so the user's modules import) and deployments go. */
export function modelRoot(model: vscode.Uri): string {
  return vscode.workspace.getWorkspaceFolder(model)?.uri.fsPath ?? dirname(model.fsPath);
}
