import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import type { Logger } from '../../common/logger';
import type * as ModelsCore from '../lazy/modelsCore';
import { guessShape, inspectForCommand, modelRoot, mayWrite, pythonForModels, trustModelCode } from './modelForCommand';
import { SETTINGS, VIEW_TYPES } from '../../commandIds';

/** Right-click > Export Model… on a PyTorch file: ONNX or TorchScript through the user's Python and torch; on a scikit-learn pickle: ONNX through skl2onnx. */
export async function exportModel(model: vscode.Uri, log: Logger, core: typeof ModelsCore): Promise<void> {
  const info = await inspectForCommand(core, model);
  if (info.format === 'sklearn') return exportSklearn(model, info, log, core);
  if (info.format !== 'pytorch') throw new UserError(`${basename(model.fsPath)} is ${info.format}: Export works on PyTorch files (.pt, .pth) and scikit-learn pickles (.pkl, .joblib).`);
  const kind = core.torchFileKind(info);
  if (kind === 'weights') {
    throw new UserError(`${basename(model.fsPath)} holds weights (a state dict or checkpoint), not a model. Load them into your model class in Python, then use "Export to ONNX" there (Ctrl+. on the model or on torch.save).`);
  }
  const targets = kind === 'torchscript' ? (['onnx'] as const) : (['onnx', 'torchscript'] as const);
  const target = await vscode.window.showQuickPick(
    targets.map((t) => ({ label: t === 'onnx' ? 'ONNX' : 'TorchScript', description: t === 'onnx' ? 'opset 17, dynamic batch axis' : 'torch.jit.trace', target: t })),
    { title: `Export ${basename(model.fsPath)}` },
  );
  if (!target) return;
  const shapeText = await vscode.window.showInputBox({
    title: `Export ${basename(model.fsPath)} to ${target.label}`,
    prompt: 'Shape of one example input (the first axis is the batch)',
    value: guessShape(info),
    validateInput: (v) => (core.parseShape(v) ? undefined : 'whole numbers separated by commas, e.g. 1, 3, 224, 224'),
  });
  const shape = shapeText ? core.parseShape(shapeText) : undefined;
  if (!shape) return;
  if (!(await mayWrite(core.exportedPath(model.fsPath, target.target)))) return;
  // Either kind runs code from the file when torch loads it.
  if (!(await trustModelCode(model, info, 'Export', kind === 'torchscript' ? 'torchscript' : 'pickle'))) return;
  const python = await pythonForModels(log);
  const result = await withCancellableProgress(`Exporting ${basename(model.fsPath)} to ${target.label} with ${python}…`, async (signal) => {
    try {
      return await core.exportTorchModel(python, model.fsPath, kind, target.target, shape, { cwd: modelRoot(model), signal });
    } catch (error) {
      throw new UserError(`Export of ${basename(model.fsPath)}: ${(error as Error).message}`);
    }
  });
  log.info(`exported ${model.fsPath} to ${result.out} with torch ${result.torchVersion} in ${result.seconds} s`);
  const open = await vscode.window.showInformationMessage(`Exported ${basename(result.out)} (torch ${result.torchVersion}, ${result.seconds} s).`, 'Open');
  if (open) await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(result.out), VIEW_TYPES.modelViewer);
}

async function exportSklearn(model: vscode.Uri, info: ReturnType<typeof ModelsCore.inspectModel>, log: Logger, core: typeof ModelsCore): Promise<void> {
  const name = basename(model.fsPath);
  if (info.facts.some((f) => f.label === 'Fitted' && f.value.startsWith('no'))) throw new UserError(`${name} holds an estimator that was never fitted: fit it, save it again, then export.`);
  const out = core.sklearnExportPath(model.fsPath);
  if (!(await mayWrite(out))) return;
  const python = await pythonForModels(log);
  // Before asking to trust the pickle: without skl2onnx there is nothing to load it for.
  const missing = await core.missingForSklearnExport(python);
  if (missing) throw new UserError(`Export of ${name}: ${missing}.`, { actions: [{ label: 'Choose Python', command: 'workbench.action.openSettings', args: [SETTINGS.pythonPath] }] });
  if (!(await trustModelCode(model, info, 'Export'))) return;
  const result = await withCancellableProgress(`Exporting ${name} to ONNX with skl2onnx (${python})…`, async (signal) => {
    try {
      return await core.exportSklearnModel(python, model.fsPath, { cwd: modelRoot(model), signal });
    } catch (error) {
      throw new UserError(`Export of ${name}: ${(error as Error).message}`);
    }
  });
  const check = core.describeSklearnCheck(result);
  log.info(`exported ${model.fsPath} to ${result.out} with skl2onnx ${result.skl2onnxVersion} (scikit-learn ${result.sklearnVersion}): ${check}`);
  const open = await vscode.window.showInformationMessage(`Exported ${basename(result.out)} (skl2onnx ${result.skl2onnxVersion}, ${result.features} features): ${check}.`, 'Open');
  if (open) await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(result.out), VIEW_TYPES.modelViewer);
}
