import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { pythonCandidates, resolvePython } from '../../python/pythonInterpreter';
import { configuredPython } from '../../python/vscode/pythonExtension';

// What Serve Locally asks before it runs anything (after a trusted workspace: common/vscode/workspaceTrust.ts):
// the user's Python, and a yes before a pickle is loaded (its classes' code runs).

export async function servingPython(log: Logger): Promise<string> {
  const { setting, fromExtension } = await configuredPython(log);
  const python = await resolvePython(pythonCandidates(setting, fromExtension));
  if (!python.found) throw new UserError(`No Python 3.8+ was found to serve the model (${python.attempts.map((a) => `${a.candidate.command}: ${a.problem}`).join('; ')}). Set mlEngineer.python.path.`);
  return python.interpreter.executable;
}

export async function trustPickle(model: vscode.Uri): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(`Loading ${basename(model.fsPath)} runs code from the classes it pickles. Serve only files you trust.`, { modal: true }, 'Serve');
  return answer === 'Serve';
}
