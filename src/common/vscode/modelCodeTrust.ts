import * as vscode from 'vscode';
import { modelCodeWarning, type ModelCodeLoad } from '../modelCodeWarning';

/** The user says yes before a model file whose loading runs code is loaded (modelCodeWarning: the words). */
export async function trustModelFile(model: vscode.Uri, load: Omit<ModelCodeLoad, 'shown' | 'outside'>): Promise<boolean> {
  const outside = vscode.workspace.getWorkspaceFolder(model) === undefined;
  const shown = outside ? model.fsPath : vscode.workspace.asRelativePath(model, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
  return (await vscode.window.showWarningMessage(modelCodeWarning({ shown, outside, ...load }), { modal: true }, load.action)) === load.action;
}
