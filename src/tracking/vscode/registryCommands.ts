import * as vscode from 'vscode';
import { COMMANDS } from '../../commandIds';
import { UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { userPython } from '../../python/vscode/pythonExtension';
import { MlflowServer } from '../mlflowServer';
import { writePromotionAt } from '../registry/promotionWrite';
import { aliasProblem, currentHolder, promotionSummary, STAGES, type Promotion } from '../registry/registryPromote';
import { ALIAS_TAG_PREFIX, AliasesUnsupportedError, setAliasTagOverRest } from '../registry/registryRest';
import { versionFacts, type VersionFacts } from '../registry/versionFacts';
import { versionModelPath } from '../registry/versionFiles';
import type { RegistryLocation } from '../registry/promotionPlan';
import type { ModelVersionRecord } from '../registry/registryModel';
import type { RunCatalog } from '../runCatalog';
import type { RunRecord } from '../runModel';
import type { VersionTarget } from './registryNodes';

// Promote… on a model version in the Experiments view: an alias, or a stage on registries from
// before aliases, after a modal that says what changes, written to the version's own store.
// Nothing is written without the user's yes. (Inspect, Serve Locally and Deploy on a version are
// the models' and serving's own commands: the version node carries its model file.)

type Pick = vscode.QuickPickItem & { readonly promotion?: Promotion; readonly newAlias?: boolean };

function runOf(runs: RunCatalog, target: VersionTarget, runId: string | undefined): RunRecord | undefined {
  return runId ? runs.runs().find((r) => r.runId === runId && r.sourceId === target.store.sourceId) ?? runs.runs().find((r) => r.runId === runId) : undefined;
}

async function choosePromotion(target: VersionTarget): Promise<Promotion | undefined> {
  const { model, version } = target;
  const items: Pick[] = [];
  const aliases = Object.keys(model.aliases).sort();
  if (aliases.length) items.push({ label: 'Aliases', kind: vscode.QuickPickItemKind.Separator });
  for (const alias of aliases) {
    const holder = model.aliases[alias];
    items.push({ label: `$(tag) @${alias}`, description: holder === version.version ? `already on v${version.version}` : `move from v${holder} to v${version.version}`, promotion: { kind: 'alias', alias } });
  }
  items.push({ label: '$(add) New alias…', description: 'e.g. champion, challenger', newAlias: true });
  items.push({ label: 'Stages (registries from before aliases)', kind: vscode.QuickPickItemKind.Separator });
  for (const stage of STAGES) {
    if (stage === version.stage) continue;
    const others = currentHolder(model, { kind: 'stage', stage, archiveExisting: false }).filter((v) => v.version !== version.version);
    items.push({ label: `$(arrow-right) ${stage}`, description: others.length ? `others in ${stage} stay: ${others.map((v) => `v${v.version}`).join(', ')}` : '', promotion: { kind: 'stage', stage, archiveExisting: false } });
    if ((stage === 'Staging' || stage === 'Production') && others.length) items.push({ label: `$(archive) ${stage}, archiving the others`, description: others.map((v) => `v${v.version}`).join(', '), promotion: { kind: 'stage', stage, archiveExisting: true } });
  }
  const pick = await vscode.window.showQuickPick(items, { title: `Promote ${model.name} v${version.version}` });
  if (!pick) return undefined;
  if (!pick.newAlias) return pick.promotion;
  const alias = await vscode.window.showInputBox({ title: `New alias for ${model.name} v${version.version}`, prompt: 'Letters, digits, _ and -; not "latest" nor v<number> (MLflow reserves them)', validateInput: (v) => aliasProblem(v) });
  return alias ? { kind: 'alias', alias } : undefined;
}

function python(log: Logger): Promise<string> {
  return userPython(log, "to write to an mlflow.db (Python's sqlite3)");
}

/** Writes an approved promotion where the registry lives (Promote…, the agent's promote_model_version). */
export async function writePromotion(store: RegistryLocation, runs: RunCatalog, log: Logger, name: string, version: number, promotion: Promotion, signal?: AbortSignal): Promise<void> {
  if (!vscode.workspace.isTrusted) throw new UserError('Promoting writes to the model registry. In Restricted Mode ML Engineer only reads files: trust this workspace to use it.', { actions: [{ label: 'Manage Workspace Trust', command: 'workbench.trust.manage' }] });
  await writePromotionAt(store, name, version, promotion, {
    python: () => python(log),
    server: (root) => {
      const source = runs.sources().find((e) => e.source instanceof MlflowServer && e.source.root === root)?.source;
      if (!(source instanceof MlflowServer)) throw new UserError(`${root} is no longer in mlEngineer.tracking.mlflowServers.`);
      return source;
    },
  }, signal);
}

export async function promoteVersion(target: VersionTarget, runs: RunCatalog, log: Logger, written: () => void): Promise<void> {
  if (!vscode.workspace.isTrusted) throw new UserError('Promote… writes to the model registry. In Restricted Mode ML Engineer only reads files: trust this workspace to use it.', { actions: [{ label: 'Manage Workspace Trust', command: 'workbench.trust.manage' }] });
  const promotion = await choosePromotion(target);
  if (!promotion) return;
  const { model, version, store } = target;
  // The model files of both sides (MLmodel signature, size, an ONNX file), read once for the modal.
  const facts = new Map<number, VersionFacts | undefined>();
  const factsOf = (v: ModelVersionRecord): VersionFacts | undefined => {
    if (!facts.has(v.version)) {
      const path = versionModelPath(v, runOf(runs, target, v.runId), store);
      facts.set(v.version, path ? versionFacts(path) : undefined);
    }
    return facts.get(v.version);
  };
  const detail = promotionSummary(model, version, promotion, (v) => runOf(runs, target, v.runId)?.metrics, factsOf);
  const holder = currentHolder(model, promotion).find((v) => v.version !== version.version);
  const holderOnnx = holder ? factsOf(holder)?.onnx : undefined;
  const candidateOnnx = factsOf(version)?.onnx;
  const compare = holderOnnx && candidateOnnx ? 'Compare Latency' : undefined;
  let answer = await vscode.window.showWarningMessage(`Promote ${model.name} v${version.version}?`, { modal: true, detail }, 'Promote', ...(compare ? [compare] : []));
  if (compare && answer === compare) {
    // The models' own Compare Models (outputs on the same inputs, then a benchmark of both); then ask again.
    const [a, b] = [vscode.Uri.file(holderOnnx!), vscode.Uri.file(candidateOnnx!)];
    await vscode.commands.executeCommand(COMMANDS.compareModels, a, [a, b]);
    answer = await vscode.window.showWarningMessage(`Promote ${model.name} v${version.version}?`, { modal: true, detail: `${detail}\n\n(The latency comparison is in the Compare Models report.)` }, 'Promote');
  }
  if (answer !== 'Promote') return;
  try {
    await writePromotion(store, runs, log, model.name, version.version, promotion);
  } catch (error) {
    if (!(error instanceof AliasesUnsupportedError) || promotion.kind !== 'alias') throw error;
    // A server from before aliases: offer the tag this view reads as the alias, said as it is.
    const tag = `${ALIAS_TAG_PREFIX}${promotion.alias}`;
    const keep = await vscode.window.showWarningMessage(`${store.root} has no aliases (MLflow before 2.3)`, {
      modal: true,
      detail: `Keep @${promotion.alias} as the registered model's tag ${tag} = ${version.version} instead? The Experiments view and ML Engineer's tools read that tag as the alias; MLflow itself does not (models:/${model.name}@${promotion.alias} will not resolve on this server). Or move a stage instead.`,
    }, 'Keep as Tag');
    if (keep !== 'Keep as Tag') return;
    const source = runs.sources().find((e) => e.source instanceof MlflowServer && e.source.root === store.root)?.source;
    if (!(source instanceof MlflowServer)) throw new UserError(`${store.root} is no longer in mlEngineer.tracking.mlflowServers.`);
    await setAliasTagOverRest(source, model.name, version.version, promotion.alias);
  }
  log.info(`registry: ${model.name} v${version.version} promoted (${promotion.kind === 'alias' ? `@${promotion.alias}` : promotion.stage}) in ${store.root}`);
  written();
  void vscode.window.showInformationMessage(`${model.name} v${version.version}: ${promotion.kind === 'alias' ? `@${promotion.alias}` : `stage ${promotion.stage}`}.`);
}
