import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import type * as ModelsCore from '../lazy/modelsCore';
import { guessShape, inspectForCommand, modelRoot, mayWrite, pythonForModels, trustModelCode } from './modelForCommand';
import { SETTINGS, VIEW_TYPES } from '../../commandIds';

type ChoiceItem = vscode.QuickPickItem & { choice?: ModelsCore.OptimizeChoice };

/**
 * The picker: what can run now first, then, set apart under their own heading (a quick pick has
 * no disabled items), the Python tools the interpreter lacks, each with a warning, the package
 * and where it is missing; picking one offers its install command.
 */
function choiceItems(choices: readonly ModelsCore.OptimizeChoice[]): ChoiceItem[] {
  const item = (choice: ModelsCore.OptimizeChoice): ChoiceItem => ({ label: choice.label, description: choice.missing ? `$(warning) ${choice.missing.short}` : choice.description, detail: choice.detail, choice });
  const ready = choices.filter((c) => !c.missing);
  const missing = choices.filter((c) => c.missing);
  return [
    ...(missing.length ? [{ label: 'ready to run', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...ready.map(item),
    ...(missing.length ? [{ label: 'needs a Python package: pick to install it', kind: vscode.QuickPickItemKind.Separator }, ...missing.map(item)] : []),
  ];
}

/**
 * A choice whose Python package is missing: the package and its install command, run in a
 * terminal or copied (the dialog is the asking), or the built-in rewrite now, said in the report.
 * Returns the built-in choice and why, or undefined when Optimize stops here.
 */
async function resolveMissing(choice: ModelsCore.OptimizeChoice, core: typeof ModelsCore): Promise<{ builtInReason: string } | undefined> {
  const missing = choice.missing!;
  const builtIn = core.BUILT_IN[choice.precision];
  const useBuiltIn = `Use ${builtIn.label}`;
  const [run, copy, choose] = ['Run in Terminal', 'Copy Command', 'Choose Python'];
  const how = missing.install ? `Install it with:\n${missing.install}\nthen run Optimize again.` : 'Set mlEngineer.python.path to a Python 3.8+ with it.';
  const answer = await vscode.window.showWarningMessage(
    `${choice.label} needs ${missing.package}: ${missing.problem}.`,
    { modal: true, detail: `${how}\n\nOr now: ${builtIn.label}, built in (${builtIn.detail}).` },
    ...(missing.install ? [run, copy] : [choose]),
    useBuiltIn,
  );
  if (answer === run && missing.install) {
    const terminal = vscode.window.createTerminal({ name: `Install ${missing.package}` });
    terminal.show();
    terminal.sendText(missing.install, true);
    void vscode.window.showInformationMessage(`Installing ${missing.package} in the terminal "Install ${missing.package}": run Optimize again when it has finished.`);
    return undefined;
  }
  if (answer === copy && missing.install) {
    await vscode.env.clipboard.writeText(missing.install);
    void vscode.window.showInformationMessage(`Copied: ${missing.install}`);
    return undefined;
  }
  if (answer === choose) {
    await vscode.commands.executeCommand('workbench.action.openSettings', SETTINGS.pythonPath);
    return undefined;
  }
  if (answer !== useBuiltIn) return undefined;
  return { builtInReason: `${missing.problem}: ${choice.label} was picked, and the built-in ${builtIn.label} used instead` };
}

/** Right-click > Optimize Model…: an int8 or fp16 copy written beside the model, and a report beside it (tool and why, sizes, output difference, speed) opened in the Markdown preview. */
export async function optimizeModel(model: vscode.Uri, log: vscode.LogOutputChannel, core: typeof ModelsCore, ort: () => ModelsCore.OrtModule): Promise<void> {
  if (/\.(pt|pth)$/i.test(model.fsPath)) return optimizeTorchModel(model, log, core);
  // The user's Python's onnxruntime.quantization / onnxconverter-common when it has them, else built in.
  const python = await pythonForModels(log).catch((error: unknown) => {
    log.info(`Optimize: no Python (${(error as Error).message}); the built-in rewrites will be used`);
    return undefined;
  });
  const tools = python ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${python} for onnxruntime…` }, () => core.pythonOptimizers(python)) : undefined;
  const pick = await vscode.window.showQuickPick(choiceItems(core.optimizeChoices(tools, python)), { title: `Optimize ${basename(model.fsPath)}`, matchOnDescription: true });
  if (!pick?.choice) return;
  const choice = pick.choice;
  let method: ModelsCore.OptimizeChoice['method'] = choice.method;
  let builtInReason: string | undefined;
  if (choice.missing) {
    const resolved = await resolveMissing(choice, core);
    if (!resolved) return;
    ({ builtInReason } = resolved);
    method = 'built-in';
  } else if (choice.method === 'built-in' && python && tools && !tools.missing[choice.precision]) {
    builtInReason = `picked in Optimize's list, though ${python} has the Python tool for ${choice.precision}`;
  }
  const out = core.optimizedPath(model.fsPath, choice.precision);
  const reportPath = core.optimizeReportPath(out);
  if (!(await mayWrite(out)) || !(await mayWrite(reportPath))) return;
  const outcome = await withCancellableProgress(`Optimizing ${basename(model.fsPath)}`, async (signal, progress) => {
    try {
      return await core.optimizeAndCompare(model.fsPath, out, choice.precision, ort, {
        ...(python ? { python } : {}),
        ...(tools ? { tools } : {}),
        method,
        ...(builtInReason ? { builtInReason } : {}),
        cwd: modelRoot(model),
        reportPath,
        signal,
        onStage: (message) => progress.report({ message: `${message}…` }),
      });
    } catch (error) {
      if (error instanceof core.ModelFormatError) throw new UserError(`${basename(model.fsPath)}: ${error.message}`);
      if (signal.aborted) throw new UserError(`Optimize of ${basename(model.fsPath)} cancelled: nothing was written.`);
      throw error;
    }
  });
  log.info(`${outcome.summary}\n${outcome.report}`);
  // The report stays (a file beside the model); the notification only points at it.
  await showReport(vscode.Uri.file(reportPath), log);
  const open = await vscode.window.showInformationMessage(`${outcome.summary} Report: ${basename(reportPath)}.`, 'Open Model');
  if (open === 'Open Model') await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), VIEW_TYPES.modelViewer);
}

/** The report in the Markdown preview (VS Code's built-in extension), else as text. */
async function showReport(report: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  try {
    await vscode.commands.executeCommand('markdown.showPreview', report);
  } catch (error) {
    log.info(`Optimize: no Markdown preview (${(error as Error).message}); the report opens as text`);
    await vscode.window.showTextDocument(report);
  }
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
