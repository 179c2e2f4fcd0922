import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type * as ModelsCore from '../lazy/modelsCore';

/** Right-click > Optimize Model…: an int8 or fp16 copy written beside the model, sizes and output difference reported. */
export async function optimizeModel(model: vscode.Uri, log: vscode.LogOutputChannel, core: typeof ModelsCore, ort: () => ModelsCore.OrtModule): Promise<void> {
  const pick = await vscode.window.showQuickPick(
    (['int8', 'fp16'] as const).map((id) => ({ ...core.PRECISION_LABELS[id], id })),
    { title: `Optimize ${basename(model.fsPath)}` },
  );
  if (!pick) return;
  const out = core.optimizedPath(model.fsPath, pick.id);
  if (existsSync(out)) {
    const replace = await vscode.window.showWarningMessage(`${basename(out)} exists. Replace it?`, { modal: true }, 'Replace');
    if (replace !== 'Replace') return;
  }
  const { report } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Writing the ${pick.label} copy of ${basename(model.fsPath)} and comparing outputs…` }, async () => {
    try {
      return await core.optimizeAndCompare(model.fsPath, out, pick.id, ort);
    } catch (error) {
      if (error instanceof core.ModelFormatError) throw new UserError(`${basename(model.fsPath)}: ${error.message}`);
      throw error;
    }
  });
  log.info(report);
  const open = await vscode.window.showInformationMessage(report.split('\n').slice(0, 3).join(' '), 'Open', 'Show Details');
  if (open === 'Open') await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), 'mlEngineer.modelViewer');
  if (open === 'Show Details') log.show(true);
}
