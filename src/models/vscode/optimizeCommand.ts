import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import type * as ModelsCore from '../lazy/modelsCore';
import { guessShape, inspectForCommand, modelRoot, mayWrite, pythonForModels, trustModelCode } from './modelForCommand';
import { VIEW_TYPES } from '../../commandIds';

/** Right-click > Optimize Model…: an int8 or fp16 copy written beside the model, sizes and output difference reported. */
export async function optimizeModel(model: vscode.Uri, log: vscode.LogOutputChannel, core: typeof ModelsCore, ort: () => ModelsCore.OrtModule): Promise<void> {
  if (/\.(pt|pth)$/i.test(model.fsPath)) return optimizeTorchModel(model, log, core);
  // The user's Python's onnxruntime.quantization / onnxconverter-common when it has them, else built in.
  const python = await pythonForModels(log).catch((error: unknown) => {
    log.info(`Optimize: no Python (${(error as Error).message}); the built-in rewrites will be used`);
    return undefined;
  });
  const tools = python ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${python} for onnxruntime…` }, () => core.pythonOptimizers(python)) : undefined;
  const pick = await vscode.window.showQuickPick(
    (['int8', 'fp16'] as const).map((id) => ({ ...core.optimizeChoice(id, tools), id })),
    { title: `Optimize ${basename(model.fsPath)}` },
  );
  if (!pick) return;
  const out = core.optimizedPath(model.fsPath, pick.id);
  if (!(await mayWrite(out))) return;
  const { report } = await withCancellableProgress(`Writing the ${pick.label} copy of ${basename(model.fsPath)} and comparing outputs…`, async (signal) => {
    try {
      return await core.optimizeAndCompare(model.fsPath, out, pick.id, ort, { ...(python ? { python } : {}), ...(tools ? { tools } : {}), cwd: modelRoot(model), signal });
    } catch (error) {
      if (error instanceof core.ModelFormatError) throw new UserError(`${basename(model.fsPath)}: ${error.message}`);
      if (signal.aborted) throw new UserError(`Optimize of ${basename(model.fsPath)} cancelled: nothing was written.`);
      throw error;
    }
  });
  log.info(report);
  const open = await vscode.window.showInformationMessage(report.split('\n').slice(0, 3).join(' '), 'Open', 'Show Details');
  if (open === 'Open') await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), VIEW_TYPES.modelViewer);
  if (open === 'Show Details') log.show(true);
}

/** A pickled PyTorch module: dynamic int8 of its Linear/LSTM/GRU layers through the user's torch. */
async function optimizeTorchModel(model: vscode.Uri, log: vscode.LogOutputChannel, core: typeof ModelsCore): Promise<void> {
  const info = await inspectForCommand(core, model);
  const kind = core.torchFileKind(info);
  if (kind !== 'pickled-module') {
    throw new UserError(`${basename(model.fsPath)} holds ${kind === 'torchscript' ? 'TorchScript' : 'weights, not a model'}: quantize the module where it is built (Ctrl+. on the model in your script, "Quantize (dynamic int8)"), or export it to ONNX and optimize that.`);
  }
  const shapeText = await vscode.window.showInputBox({
    title: `Quantize ${basename(model.fsPath)} (dynamic int8, torch)`,
    prompt: 'Shape of one example input, to compare the outputs (the first axis is the batch)',
    value: guessShape(info),
    validateInput: (v) => (core.parseShape(v) ? undefined : 'whole numbers separated by commas, e.g. 1, 128'),
  });
  const shape = shapeText ? core.parseShape(shapeText) : undefined;
  if (!shape || !(await trustModelCode(model, info, 'Quantize'))) return;
  const python = await pythonForModels(log);
  const r = await withCancellableProgress(`Quantizing ${basename(model.fsPath)} with torch…`, async (signal) => {
    try {
      return await core.quantizeTorchModel(python, model.fsPath, shape, { cwd: modelRoot(model), signal });
    } catch (error) {
      throw new UserError(`Quantizing ${basename(model.fsPath)}: ${(error as Error).message}`);
    }
  });
  const report = `Wrote ${basename(r.out)}: ${r.before} -> ${r.after} bytes (${((r.after / r.before) * 100).toFixed(0)}%), ${r.layers} layer(s) quantized with torch ${r.torchVersion}.${r.maxAbsDiff !== undefined ? ` Largest output difference on a sample input: ${r.maxAbsDiff.toPrecision(3)} (values up to ${(r.maxAbs ?? 0).toPrecision(3)}).` : ''}`;
  log.info(report);
  await vscode.window.showInformationMessage(report);
}
