import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { compareTwoModels, comparisonMarkdown } from '../../models/compare/twoModels';
import { modelReader } from '../../models/modelReader';
import type { OrtModule } from '../../models/runtime/onnxRun';
import { openReport } from './reportPreview';

// Right-click two model files > Compare Models (or one, then pick the other): the comparison as a
// Markdown preview, with progress and Cancel while both run and are benchmarked.

export async function compareModelsCommand(clicked: unknown, selected: unknown, ort: () => OrtModule, context: vscode.ExtensionContext): Promise<void> {
  const uris = (Array.isArray(selected) ? selected : [clicked]).filter((u): u is vscode.Uri => u instanceof vscode.Uri);
  if (uris.length > 2) throw new UserError(`Compare Models compares two files; ${uris.length} are selected.`);
  let [a, b] = uris;
  a ??= (await vscode.window.showOpenDialog({ title: 'Compare Models: the first model', filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'pkl', 'joblib', 'keras'] } }))?.[0];
  if (!a) return;
  b ??= (await vscode.window.showOpenDialog({ title: `Compare ${basename(a.fsPath)} with…`, defaultUri: vscode.Uri.joinPath(a, '..'), filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'pkl', 'joblib', 'keras'] } }))?.[0];
  if (!b) return;
  if (a.fsPath === b.fsPath) throw new UserError('Pick two different model files to compare.');
  const [first, second] = [a, b];
  const result = await withCancellableProgress(`Comparing ${basename(first.fsPath)} and ${basename(second.fsPath)}`, async (signal, progress) => {
    const [ia, ib] = [await modelReader().inspect(first.fsPath, signal), await modelReader().inspect(second.fsPath, signal)];
    progress.report({ message: 'running both on the same inputs, then benchmarking…' });
    return compareTwoModels(ort, { path: first.fsPath, info: ia }, { path: second.fsPath, info: ib }, { signal, maxSeconds: 10 });
  });
  await openReport(context, 'compare-models', comparisonMarkdown(result));
}
