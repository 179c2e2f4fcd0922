import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { pythonCandidates, resolvePython } from '../pythonInterpreter';

const PYTHON_EXTENSION_ID = 'ms-python.python';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
  };
}

/**
 * The interpreter selected in the Python extension, when it is installed. Its API is optional
 * for us: any failure (not installed, older API, activation error) means "no answer".
 */
export async function pythonFromPythonExtension(log: Logger, resource?: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api.environments?.getActiveEnvironmentPath(resource)?.path || undefined;
  } catch (error) {
    log.debug(`Python extension gave no interpreter: ${String(error)}`);
    return undefined;
  }
}

/**
 * Our setting first, then the Python extension; the core adds PATH candidates after these. In an
 * untrusted workspace VS Code ignores the workspace's value of our setting (restrictedConfigurations),
 * and we ignore the Python extension's choice, which may be an interpreter inside the workspace.
 */
export async function configuredPython(log: Logger): Promise<{ setting: string | undefined; fromExtension: string | undefined }> {
  const setting = vscode.workspace.getConfiguration('mlEngineer').get<string>('python.path')?.trim() || undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return { setting, fromExtension: vscode.workspace.isTrusted ? await pythonFromPythonExtension(log, folder) : undefined };
}

/**
 * The user's Python (setting, Python extension, PATH) for `purpose`, or a UserError that names
 * every candidate tried and why it was skipped. Model jobs, serving and registry writes run in it.
 */
export async function userPython(log: Logger, purpose: string): Promise<string> {
  const { setting, fromExtension } = await configuredPython(log);
  const python = await resolvePython(pythonCandidates(setting, fromExtension));
  if (!python.found) throw new UserError(`No Python 3.8+ was found ${purpose} (${python.attempts.map((a) => `${a.candidate.command}: ${a.problem}`).join('; ')}). Set mlEngineer.python.path.`);
  return python.interpreter.executable;
}
