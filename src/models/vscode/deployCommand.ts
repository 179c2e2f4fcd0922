import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { symlinkOnPath } from '../../common/symlinks';
import type * as ModelsCore from '../lazy/modelsCore';
import { inspectForCommand, modelRoot } from './modelForCommand';
import type { DeployTarget } from '../lazy/modelsCore';

const MAIN_FILE: Record<DeployTarget, string> = { triton: 'config.pbtxt', fastapi: 'app.py', kserve: 'inferenceservice.yaml', bentoml: 'service.py' };

/** Right-click > Deploy: pick a target and a folder, see what will be written, write it, open the main file. */
export async function deployModel(model: vscode.Uri, core: typeof ModelsCore): Promise<void> {
  const info = await inspectForCommand(core, model);
  const target = await vscode.window.showQuickPick(
    core.DEPLOY_TARGETS.map((t) => ({ label: t === 'fastapi' ? 'FastAPI' : t === 'kserve' ? 'KServe' : t === 'bentoml' ? 'BentoML' : 'Triton', description: core.DEPLOY_TARGET_LABELS[t], target: t })),
    { title: `Deploy ${basename(model.fsPath)}`, placeHolder: 'Serve it with…' },
  );
  if (!target) return;
  let plan;
  try {
    plan = core.planDeployment(info, model.fsPath, target.target);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const root = modelRoot(model);
  const suggested = join(root, 'deploy', `${plan.name}-${target.target}`);
  const where = await vscode.window.showQuickPick(
    [
      { label: vscode.workspace.asRelativePath(suggested), description: 'in the workspace', dir: suggested },
      { label: 'Choose a folder…', dir: undefined },
    ],
    { title: `Where to write the ${target.label} deployment` },
  );
  if (!where) return;
  let dir = where.dir;
  if (!dir) {
    const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, defaultUri: vscode.Uri.file(root), openLabel: 'Deploy here' });
    if (!picked?.[0]) return;
    dir = picked[0].fsPath;
  } else {
    // deploy/<name>: a link planted there would take the files elsewhere.
    const link = symlinkOnPath(root, dir);
    if (link !== undefined) throw new UserError(`${link} is a symbolic link: Deploy does not write through links. Remove it or choose a folder.`);
  }
  const existing = core.existingFiles(plan, dir);
  if (existing.length > 0) {
    const replace = await vscode.window.showWarningMessage(`${existing.length} file(s) in ${vscode.workspace.asRelativePath(dir)} would be replaced: ${existing.slice(0, 5).join(', ')}${existing.length > 5 ? '…' : ''}`, { modal: true }, 'Replace');
    if (replace !== 'Replace') return;
  }
  const written = core.writeDeployment(plan, dir);
  await vscode.window.showTextDocument(vscode.Uri.file(join(dir, plan.files.find((f) => f.path.endsWith(MAIN_FILE[target.target]))?.path ?? plan.files[0]!.path)), { preview: false });
  const notes = plan.notes.length ? ` Note: ${plan.notes.join('; ')}` : '';
  const reveal = await vscode.window.showInformationMessage(`Wrote the ${target.label} deployment of ${plan.name} (${written.length} files) to ${vscode.workspace.asRelativePath(dir)}.${notes}`, 'Reveal in Explorer');
  if (reveal) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dir));
}
