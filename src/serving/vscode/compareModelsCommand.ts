import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { compareOnData, loadRunsCode, notComparable, type ABRun } from '../../models/compare/abPredict';
import { compareTwoOffThread } from '../../models/compare/abStatsJob';
import { comparisonMarkdown } from '../../models/compare/twoModels';
import { AB_METRICS, CLASSIFIER_METRICS, RARE_POSITIVE, type ABMetric } from '../../models/compare/abStats';
import { modelReader } from '../../models/modelReader';
import { modelUriArg } from '../../common/vscode/modelUriArg';
import { trustModelFile } from '../../common/vscode/modelCodeTrust';
import { registryVersionArg } from '../../common/registryVersionArg';
import type { OrtModule } from '../../models/runtime/onnxRun';
import { openReport } from './reportPreview';

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
      { label: '$(beaker) On a labelled dataset…', description: 'accuracy/F1/AUC or MAE/RMSE/R², significance, latency, a verdict (runs your Python)', data: true },
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

/** A registry version node's name for the report ("churn v3 (model.onnx)"). */
function versionLabel(arg: unknown, uri: vscode.Uri): string | undefined {
  const carried = registryVersionArg(arg);
  return carried ? `${carried.model.name} v${carried.version} (${basename(uri.fsPath)})` : undefined;
}

/** `_ort`: kept for the caller; both comparisons load onnxruntime in the models worker. */
export async function compareModelsCommand(clicked: unknown, selected: unknown, _ort: () => OrtModule, python: () => Promise<string>, context: vscode.ExtensionContext): Promise<void> {
  // Explorer files (Uris), or registry versions in the Experiments view (nodes carrying their model file).
  const args = Array.isArray(selected) && selected.length > 0 ? (selected as unknown[]) : [clicked];
  const picked = args.flatMap((arg) => {
    const uri = modelUriArg(arg);
    return uri ? [{ uri, name: versionLabel(arg, uri) }] : [];
  });
  if (picked.length > 2) throw new UserError(`Compare Models compares two models; ${picked.length} are selected.`);
  if (args.length > picked.length && args.some((arg) => arg !== undefined && !(arg instanceof vscode.Uri))) throw new UserError('Compare Models compares models whose files are on this machine: a selected registry version has none here.');
  const names = new Map(picked.flatMap((p) => (p.name ? [[p.uri.fsPath, p.name] as const] : [])));
  let [a, b] = picked.map((p) => p.uri);
  a ??= (await vscode.window.showOpenDialog({ title: 'Compare Models: the first model', filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'pkl', 'joblib', 'keras'] } }))?.[0];
  if (!a) return;
  b ??= (await vscode.window.showOpenDialog({ title: `Compare ${basename(a.fsPath)} with…`, defaultUri: vscode.Uri.joinPath(a, '..'), filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'pkl', 'joblib', 'keras'] } }))?.[0];
  if (!b) return;
  if (a.fsPath === b.fsPath) throw new UserError('Pick two different model files to compare.');
  const [first, second] = [a, b];
  const side = (uri: vscode.Uri): { path: string; name?: string } => ({ path: uri.fsPath, ...(names.has(uri.fsPath) ? { name: names.get(uri.fsPath)! } : {}) });
  const labelled = await askForData(first);
  if (labelled === null) return;
  // Read first (in the reader worker): what each file is decides whether it can run, and what to ask.
  const [ia, ib] = [await modelReader().inspect(first.fsPath), await modelReader().inspect(second.fsPath)];
  if (labelled) {
    const models = [{ uri: first, path: first.fsPath, info: ia }, { uri: second, path: second.fsPath, info: ib }];
    const why = models.map(notComparable).find((w) => w !== undefined);
    if (why) throw new UserError(`${why}.`);
    // Loading a pickle or a TorchScript archive runs code from it: the user says yes to each first,
    // shown its path (a registry version's file can be anywhere on disk).
    for (const m of models) {
      const kind = loadRunsCode(m);
      if (kind && !(await trustModelFile(m.uri, { kind, action: 'Compare' }))) return;
    }
  }
  const report = await withCancellableProgress(`Comparing ${basename(first.fsPath)} and ${basename(second.fsPath)}`, async (signal, progress) => {
    let ab: ABRun | undefined;
    if (labelled) {
      progress.report({ message: `both models on ${basename(labelled.data.fsPath)}…` });
      const cwd = vscode.workspace.getWorkspaceFolder(labelled.data)?.uri.fsPath ?? vscode.Uri.joinPath(labelled.data, '..').fsPath;
      ab = await compareOnData(python, { ...side(first), info: ia }, { ...side(second), info: ib }, labelled.data.fsPath, labelled.target, { cwd, signal, ...(labelled.metric ? { metric: labelled.metric } : {}) });
    }
    progress.report({ message: 'running both on the same inputs, then benchmarking…' });
    // In the models worker, as the A/B's ONNX arms: a big model's runs never block the window.
    const result = await compareTwoOffThread(modelReader(), { a: { ...side(first), info: ia }, b: { ...side(second), info: ib }, options: { maxSeconds: 10, skipBenchmark: ab !== undefined } }, { signal });
    return ab ? `${comparisonMarkdown(result)}\n${ab.markdown}` : comparisonMarkdown(result);
  });
  await openReport(context, 'compare-models', report);
}
