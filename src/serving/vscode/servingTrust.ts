import type * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { trustModelFile } from '../../common/vscode/modelCodeTrust';
import { userPython } from '../../python/vscode/pythonExtension';

// What Serve Locally asks before it runs anything (after a trusted workspace: common/vscode/workspaceTrust.ts):
// the user's Python, and a yes before a pickle is loaded (its classes' code runs).

export function servingPython(log: Logger): Promise<string> {
  return userPython(log, 'to serve the model');
}

/** `imports`: the workspace modules the pickle names (pickledWorkspaceModules.ts), which the app imports as it loads. */
export function trustPickle(model: vscode.Uri, imports: readonly string[] = []): Promise<boolean> {
  return trustModelFile(model, { kind: 'pickle', action: 'Serve', ...(imports.length ? { classes: `and imports ${imports.join(', ')} from the workspace` } : {}) });
}
