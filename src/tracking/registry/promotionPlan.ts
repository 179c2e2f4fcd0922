import type { RunRecord } from '../runModel';
import { compareModelSides, type ComparedSide } from './promotionCompare';
import type { ModelVersionRecord, RegisteredModelRecord, RegistrySnapshot } from './registryModel';
import { checkedPromotion, currentHolder, promotionSummary, RegistryWriteError, type Promotion } from './registryPromote';
import { versionFacts, type VersionFacts } from './versionFacts';
import { versionModelPath } from './versionFiles';

// One promotion asked for by name (the agent's promote tools, `ml-engineer registry --promote`):
// the registry, model and version found among those read, the alias or stage checked as MLflow
// checks it, and the same comparison Promote… shows in its modal. Nothing here writes.

export type RegistryKind = 'mlflow' | 'mlflow-sqlite' | 'mlflow-server';

/** Where a registry lives: an mlruns/ folder, an mlflow.db, or a tracking server's URL. */
export interface RegistryLocation {
  readonly kind: RegistryKind;
  readonly root: string;
}

export interface LocatedRegistry {
  readonly registry: RegistrySnapshot;
  readonly location: RegistryLocation;
}

export interface PromotionRequest {
  readonly model: string;
  readonly version: number;
  readonly alias?: string;
  readonly stage?: string;
  readonly archiveExisting?: boolean;
  /** The registry's path or URL, when the model's name is in more than one. */
  readonly store?: string;
}

export interface PromotionPlan {
  readonly located: LocatedRegistry;
  readonly model: RegisteredModelRecord;
  readonly version: ModelVersionRecord;
  readonly promotion: Promotion;
  /** The version that holds the alias or stage now (not the candidate), if any. */
  readonly holder?: ModelVersionRecord;
  /** One line: what changes, and a warning when the signature does. */
  readonly headline: string;
  /** The whole comparison, as the Promote… modal shows it. */
  readonly summary: string;
}

export function promotionOf(request: Pick<PromotionRequest, 'alias' | 'stage' | 'archiveExisting'>): Promotion {
  if ((request.alias === undefined) === (request.stage === undefined)) throw new RegistryWriteError('Give either an alias (MLflow 2.3+) or a stage (None, Staging, Production, Archived), not both.');
  return checkedPromotion(request.alias !== undefined ? { kind: 'alias', alias: request.alias } : { kind: 'stage', stage: request.stage!, archiveExisting: request.archiveExisting === true });
}

/** The registry, model and version a request names, checked, with the comparison; a RegistryWriteError says what is wrong. */
export function planPromotion(registries: readonly LocatedRegistry[], request: PromotionRequest, runs: readonly RunRecord[]): PromotionPlan {
  const promotion = promotionOf(request);
  const holding = registries.filter((r) => r.registry.models.some((m) => m.name === request.model) && (request.store === undefined || r.location.root === request.store));
  if (holding.length === 0) {
    const names = [...new Set(registries.flatMap((r) => r.registry.models.map((m) => m.name)))];
    throw new RegistryWriteError(`No registered model "${request.model}"${request.store ? ` in ${request.store}` : ''}. Models: ${names.join(', ') || 'none'}.`);
  }
  if (holding.length > 1) throw new RegistryWriteError(`"${request.model}" is in ${holding.length} registries: say which with store (${holding.map((r) => r.location.root).join(', ')}).`);
  const located = holding[0]!;
  const model = located.registry.models.find((m) => m.name === request.model)!;
  const version = model.versions.find((v) => v.version === request.version);
  if (!version) throw new RegistryWriteError(`${model.name} has no version ${request.version}. Versions: ${model.versions.map((v) => v.version).join(', ') || 'none'}.`);
  const runOf = (v: ModelVersionRecord): RunRecord | undefined => (v.runId ? runs.find((r) => r.runId === v.runId) : undefined);
  const facts = new Map<number, VersionFacts | undefined>();
  const factsOf = (v: ModelVersionRecord): VersionFacts | undefined => {
    if (!facts.has(v.version)) {
      const path = versionModelPath(v, runOf(v), located.location);
      facts.set(v.version, path ? versionFacts(path) : undefined);
    }
    return facts.get(v.version);
  };
  const holder = currentHolder(model, promotion).find((v) => v.version !== version.version);
  const summary = promotionSummary(model, version, promotion, (v) => runOf(v)?.metrics, factsOf);
  const side = (v: ModelVersionRecord): ComparedSide => {
    const f = factsOf(v);
    return { version: v.version, ...(f ? { facts: f } : {}) };
  };
  const warned = compareModelSides(holder ? side(holder) : undefined, side(version)).warnings.length > 0;
  const what = promotion.kind === 'alias' ? `@${promotion.alias}` : `stage ${promotion.stage}${promotion.archiveExisting ? ', archiving the others' : ''}`;
  const now = holder ? ` (now on v${holder.version})` : promotion.kind === 'alias' ? ' (a new alias)' : '';
  const headline = `Promote ${model.name} v${version.version} to ${what}${now}${warned ? ': its inputs or outputs change' : ''}`;
  return { located, model, version, promotion, ...(holder ? { holder } : {}), headline, summary };
}
