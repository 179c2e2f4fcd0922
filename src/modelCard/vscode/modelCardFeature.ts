import { lstatSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { FeatureHost, FeatureModule } from '../../activation/featureHost';
import { COMMANDS } from '../../commandIds';
import { writeFileNoFollow } from '../../common/symlinks';
import { lazyBundlePath } from '../../common/lazyBundle';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { UserError } from '../../common/errors';
import { loadOrt, type OrtModule } from '../../models/runtime/onnxRun';
import { modelUriArg } from '../../common/vscode/modelUriArg';
import { RunCatalog } from '../../tracking/runCatalog';
import type { RunRecord } from '../../tracking/runModel';
import { TrackingReaders } from '../../tracking/workerSources';
import { gatherCardFacts } from '../gatherFacts';
import { buildModelCard } from '../modelCard';
import { cardReaders, writeModelCardTool, type ModelCardToolDeps } from '../modelCardTool';
import { registryVersionArg } from './registryVersionArg';

/** dist/features/modelCard.js (src/activation/): Write Model Card… on a model file or a registry version whose files are here, and the agent's write_model_card. */
export const activateFeature: FeatureModule<'modelCard'>['activateFeature'] = (host: FeatureHost) => {
  const { context, log } = host;
  let ortModule: OrtModule | undefined;
  const ort = (): OrtModule => (ortModule ??= loadOrt(lazyBundlePath(context.extensionPath, 'ort')));
  const deps: ModelCardToolDeps = { runs: workspaceRuns, ...(vscode.workspace.isTrusted ? { ort } : {}) };

  registerCommand(context, log, COMMANDS.modelCard, async (arg?: unknown) => {
    // A registry version in the Experiments view carries its model file (modelUri) and its version.
    const registry = registryVersionArg(arg);
    const model = modelUriArg(arg) ?? (await vscode.window.showOpenDialog({ title: 'Write the model card of', canSelectMany: false, filters: { Models: ['onnx', 'safetensors', 'gguf', 'pt', 'pth', 'ckpt', 'keras', 'pkl', 'joblib'] } }))?.[0];
    if (!model) return;
    const drift = await vscode.window.showQuickPick(
      [
        { label: 'Without a drift check', pick: false },
        { label: 'With a drift check…', description: 'pick the training data, then the current data', pick: true },
      ],
      { title: 'Write Model Card' },
    );
    if (!drift) return;
    let reference: string | undefined;
    let current: string | undefined;
    if (drift.pick) {
      const filters = { Data: ['csv', 'tsv', 'parquet', 'jsonl', 'ndjson', 'arrow', 'feather'] };
      reference = (await vscode.window.showOpenDialog({ title: 'Reference (training) data', filters }))?.[0]?.fsPath;
      current = reference && (await vscode.window.showOpenDialog({ title: 'Current data', filters }))?.[0]?.fsPath;
      if (!reference || !current) return;
    }
    // A registry version's files are its run's artifacts, the registry's record: its card goes to the workspace instead.
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
    const out = registry && folder ? join(folder, `MODEL_CARD-${registry.model.name.replace(/[^\w.-]+/g, '_')}-v${registry.version}.md`) : join(dirname(model.fsPath), 'MODEL_CARD.md');
    if (!(await mayReplace(out))) return;
    const card = await withCancellableProgress('Writing the model card', async (signal, progress) => {
      progress.report({ message: 'inspecting, reading runs, measuring…' });
      const facts = await gatherCardFacts(
        { model: model.fsPath, display: (p) => vscode.workspace.asRelativePath(p, false), ...(reference && current ? { reference, current } : {}), ...(vscode.workspace.isTrusted ? {} : { benchmark: false }), ...(registry ? { registry } : {}) },
        cardReaders(deps, vscode.workspace.asRelativePath(model, false), (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath)),
        signal,
      );
      return buildModelCard(facts);
    });
    writeFileNoFollow(out, card.markdown);
    log.info(`model card: ${out}, ${card.footnotes} sourced facts; not found: ${card.missing.join('; ') || 'nothing'}`);
    await vscode.window.showTextDocument(vscode.Uri.file(out));
  });
  return { tools: () => [writeModelCardTool(deps)] };
};

/** The runs of every workspace folder, read afresh for each card (a card is written rarely; the run may be minutes old). */
async function workspaceRuns(signal?: AbortSignal): Promise<readonly RunRecord[]> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new UserError('Open a folder: the runs are looked for in the workspace.');
  const readers = new TrackingReaders();
  const catalog = new RunCatalog();
  try {
    const found = await Promise.all(folders.map((f) => readers.discover(f.uri.fsPath)));
    catalog.setSources(found.flatMap((f) => f.sources));
    await catalog.loadAll(signal);
    return catalog.runs();
  } finally {
    catalog.dispose();
    readers.dispose();
  }
}

/** Whether to write the card: yes when it is new, else the user says Replace; never through a symbolic link. */
async function mayReplace(out: string): Promise<boolean> {
  const stat = lstatSync(out, { throwIfNoEntry: false });
  if (!stat) return true;
  if (stat.isSymbolicLink()) throw new UserError(`${basename(out)} is a symbolic link: ML Engineer does not write through links.`);
  return (await vscode.window.showWarningMessage(`${basename(out)} exists. Replace it?`, { modal: true }, 'Replace')) === 'Replace';
}
