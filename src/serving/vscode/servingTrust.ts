import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { userPython } from '../../python/vscode/pythonExtension';

// What Serve Locally asks before it runs anything (after a trusted workspace: common/vscode/workspaceTrust.ts):
// the user's Python, and a yes before a pickle is loaded (its classes' code runs).

export function servingPython(log: Logger): Promise<string> {
  return userPython(log, 'to serve the model');
}

export async function trustPickle(model: vscode.Uri): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(`Loading ${basename(model.fsPath)} runs code from the classes it pickles. Serve only files you trust.`, { modal: true }, 'Serve');
  return answer === 'Serve';
}
