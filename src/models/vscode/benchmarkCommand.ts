import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import type * as ModelsCore from '../lazy/modelsCore';
import { inspectForCommand } from './modelForCommand';

/** Right-click > Benchmark Model: latency statistics and throughput on sample inputs, the runtime named, with progress and cancel. */
export async function benchmarkModel(model: vscode.Uri, log: vscode.LogOutputChannel, core: typeof ModelsCore, ort: () => ModelsCore.OrtModule): Promise<void> {
  const info = await inspectForCommand(core, model);
  if (info.format !== 'onnx') throw new UserError(`${basename(model.fsPath)} is ${info.format}: benchmarks run ONNX models (export it first).`);
  const batchText = await vscode.window.showInputBox({ title: `Benchmark ${basename(model.fsPath)}`, prompt: 'Batch size (the first symbolic axis)', value: '1', validateInput: (v) => (/^[1-9]\d{0,3}$/.test(v) ? undefined : 'a whole number from 1 to 9999') });
  if (!batchText) return;
  const result = await withCancellableProgress(`Benchmarking ${basename(model.fsPath)}`, (signal, progress) => {
    let last = 0;
    progress.report({ message: 'warming up…' });
    return core.benchmarkOnnx(ort(), model.fsPath, info, {
      batch: Number(batchText),
      signal,
      // Warm-up until timings settle, then runs until the mean is known to ±5% or 10 s are spent.
      onProgress: (runs, fraction) => {
        progress.report({ increment: (fraction - last) * 100, message: `${runs} runs` });
        last = fraction;
      },
    });
  });
  const text = core.benchmarkText(vscode.workspace.asRelativePath(model), result);
  log.info(text);
  const more = await vscode.window.showInformationMessage(`${basename(model.fsPath)}, batch ${result.batch}: ${core.benchmarkLine(result)}.`, 'Show Details');
  if (more) log.show(true);
}
