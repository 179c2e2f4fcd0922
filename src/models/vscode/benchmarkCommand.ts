import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import type * as ModelsCore from '../lazy/modelsCore';
import { inspectForCommand } from './modelForCommand';

/** Right-click > Benchmark Model: latency and throughput on sample inputs, with progress and cancel. */
export async function benchmarkModel(model: vscode.Uri, log: vscode.LogOutputChannel, core: typeof ModelsCore, ort: () => ModelsCore.OrtModule): Promise<void> {
  const info = await inspectForCommand(core, model);
  if (info.format !== 'onnx') throw new UserError(`${basename(model.fsPath)} is ${info.format}: benchmarks run ONNX models (export it first).`);
  const batchText = await vscode.window.showInputBox({ title: `Benchmark ${basename(model.fsPath)}`, prompt: 'Batch size (the first symbolic axis)', value: '1', validateInput: (v) => (/^[1-9]\d{0,3}$/.test(v) ? undefined : 'a whole number from 1 to 9999') });
  if (!batchText) return;
  const result = await withCancellableProgress(`Benchmarking ${basename(model.fsPath)}`, (signal, progress) => {
    let last = 0;
    return core.benchmarkOnnx(ort(), model.fsPath, info, {
      batch: Number(batchText),
      signal,
      onProgress: (done, total) => {
        const pct = (done / total) * 100;
        progress.report({ increment: pct - last, message: `${done}/${total} runs` });
        last = pct;
      },
    });
  });
  const text = core.benchmarkText(vscode.workspace.asRelativePath(model), result);
  log.info(text);
  const more = await vscode.window.showInformationMessage(`${basename(model.fsPath)}: p50 ${result.p50Ms.toFixed(2)} ms, p95 ${result.p95Ms.toFixed(2)} ms, ${result.throughput.toFixed(1)} samples/s (batch ${result.batch}, CPU)`, 'Show Details');
  if (more) log.show(true);
}
