import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { compareOnData, type ABRun } from '../../models/compare/abPredict';
import { AB_METRICS, CLASSIFIER_METRICS, RARE_POSITIVE, type ABMetric } from '../../models/compare/abStats';
import { compareTwoModels, comparisonMarkdown } from '../../models/compare/twoModels';
import { modelReader } from '../../models/modelReader';
import type { OrtModule } from '../../models/runtime/onnxRun';
import { openReport } from './reportPreview';
import { trustPickle } from './servingTrust';

// Right-click two model files > Compare Models (or one, then pick the other): the comparison as a
// Markdown preview, with progress and Cancel while both run and are benchmarked; optionally on a
// labelled dataset (A/B: metrics, significance, a verdict; src/models/compare/abPredict.ts).

/** The verdict's metric; undefined: the default (pre-selected: first); null: cancelled. */
async function askForMetric(): Promise<ABMetric | undefined | null> {
  const items: (vscode.QuickPickItem & { metric?: ABMetric })[] = [
    { label: 'Default', description: `ROC AUC where both give probabilities (average precision under ${RARE_POSITIVE * 100}% positives), else accuracy; MAE for regressors` },
    ...AB_METRICS.map((metric) => ({ label: metric, description: (CLASSIFIER_METRICS as readonly string[]).includes(metric) ? 'classifiers' : 'regressors', metric })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Compare Models: the metric the verdict is on (the others stay in the table)' });
  return picked ? picked.metric : null;
}

/** A labelled dataset, its target column and the verdict's metric; undefined: structure only; null: cancelled. */
async function askForData(near: vscode.Uri): Promise<{ data: vscode.Uri; target: string; metric?: ABMetric } | undefined | null> {
  const how = await vscode.window.showQuickPick(
    [
      { label: '$(beaker) On a labelled dataset…', description: 'accuracy/F1 or MAE/RMSE, significance, a verdict (runs your Python)', data: true },
      { label: '$(symbol-structure) Structure and outputs only', description: 'inputs, outputs, operators; ONNX outputs and benchmark', data: false },
    ],
    { title: 'Compare Models' },
  );
  if (!how) return null;
  if (!how.data) return undefined;
  const data = (await vscode.window.showOpenDialog({ title: 'The labelled dataset', defaultUri: vscode.Uri.joinPath(near, '..'), filters: { Data: ['csv', 'parquet', 'pq'] } }))?.[0];
  if (!data) return null;
  const target = await vscode.window.showInputBox({ title: `The label column of ${basename(data.fsPath)}`, prompt: 'The column both models predict', validateInput: (v) => (v.trim() ? undefined : 'Name the label column') });
  if (!target) return null;
  const metric = await askForMetric();
  return metric === null ? null : { data, target: target.trim(), ...(metric ? { metric } : {}) };
}

export async function compareModelsCommand(clicked: unknown, selected: unknown, ort: () => OrtModule, python: () => Promise<string>, context: vscode.ExtensionContext): Promise<void> {
  const uris = (Array.isArray(selected) ? selected : [clicked]).filter((u): u is vscode.Uri => u instanceof vscode.Uri);
  if (uris.length > 2) throw new UserError(`Compare Models compares two files; ${uris.length} are selected.`);
  let [a, b] = uris;
  a ??= (await vscode.window.showOpenDialog({ title: 'Compare Models: the first model', filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'pkl', 'joblib', 'keras'] } }))?.[0];
  if (!a) return;
  b ??= (await vscode.window.showOpenDialog({ title: `Compare ${basename(a.fsPath)} with…`, defaultUri: vscode.Uri.joinPath(a, '..'), filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'pkl', 'joblib', 'keras'] } }))?.[0];
  if (!b) return;
  if (a.fsPath === b.fsPath) throw new UserError('Pick two different model files to compare.');
  const [first, second] = [a, b];
  const labelled = await askForData(first);
  if (labelled === null) return;
  if (labelled && [first, second].some((u) => /\.(pkl|pickle|joblib)$/i.test(u.fsPath)) && !(await trustPickle(/\.(pkl|pickle|joblib)$/i.test(first.fsPath) ? first : second))) return;
  const report = await withCancellableProgress(`Comparing ${basename(first.fsPath)} and ${basename(second.fsPath)}`, async (signal, progress) => {
    const [ia, ib] = [await modelReader().inspect(first.fsPath, signal), await modelReader().inspect(second.fsPath, signal)];
    let ab: ABRun | undefined;
    if (labelled) {
      progress.report({ message: `both models on ${basename(labelled.data.fsPath)}…` });
      const cwd = vscode.workspace.getWorkspaceFolder(labelled.data)?.uri.fsPath ?? vscode.Uri.joinPath(labelled.data, '..').fsPath;
      ab = await compareOnData(ort, python, { path: first.fsPath, info: ia }, { path: second.fsPath, info: ib }, labelled.data.fsPath, labelled.target, { cwd, signal, ...(labelled.metric ? { metric: labelled.metric } : {}) });
    }
    progress.report({ message: 'running both on the same inputs, then benchmarking…' });
    const result = await compareTwoModels(ort, { path: first.fsPath, info: ia }, { path: second.fsPath, info: ib }, { signal, maxSeconds: 10, skipBenchmark: ab !== undefined });
    return ab ? `${comparisonMarkdown(result)}\n${ab.markdown}` : comparisonMarkdown(result);
  });
  await openReport(context, 'compare-models', report);
}
