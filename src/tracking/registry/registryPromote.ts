import type { MetricSummary } from '../runModel';
import { compareModelSides, latencyNote, type ComparedSide } from './promotionCompare';
import type { ModelVersionRecord, RegisteredModelRecord } from './registryModel';
import type { VersionFacts } from './versionFacts';

// Promote…: set or move an alias (MLflow 2.3+) or, on registries from before aliases, move a
// version to a stage. Names are checked as MLflow checks them (mlflow/utils/validation.py:
// _validate_model_alias_name, _REGISTERED_MODEL_ALIAS_REGEX, _REGISTERED_MODEL_ALIAS_VERSION_REGEX;
// model_version_stages.py: ALL_STAGES, get_canonical_stage), so a name MLflow would refuse is
// refused here before anything is written, in every store the same way.

export type Promotion = { readonly kind: 'alias'; readonly alias: string } | { readonly kind: 'stage'; readonly stage: string; readonly archiveExisting: boolean };

export class RegistryWriteError extends Error {
  override readonly name = 'RegistryWriteError';
}

/** MLflow's MAX_REGISTERED_MODEL_ALIAS_LENGTH. */
const MAX_ALIAS_LENGTH = 255;
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
/** The stages whose other holders archive_existing_versions may archive (DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS). */
const ACTIVE_STAGES = new Set(['Staging', 'Production']);

/** Why MLflow would refuse this alias name, or undefined. */
export function aliasProblem(alias: string): string | undefined {
  if (alias === '') return 'Registered model alias name cannot be empty.';
  // Python's \w is Unicode-aware; so is \p{L}\p{N} with the u flag.
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias)) return `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`;
  if (alias.length > MAX_ALIAS_LENGTH) return `Registered model alias name exceeds the maximum length of ${MAX_ALIAS_LENGTH}`;
  if (alias.toLowerCase() === 'latest') return "'latest' alias name (case insensitive) is reserved.";
  if (/^[vV]\d+$/.test(alias)) return `Version alias name '${alias}' is reserved.`;
  return undefined;
}

/** MLflow's get_canonical_stage: the stage as MLflow spells it, or undefined. */
export function canonicalStage(stage: string): string | undefined {
  return STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
}

/** Why MLflow would refuse this registered model name for a FileStore path (file_store._validate_model_name), or undefined. */
export function modelNameProblem(name: string): string | undefined {
  if (name === '') return "Missing value for required parameter 'name'.";
  if (/[/\\]/.test(name) || name === '.' || name === '..') return `Invalid name: '${name}'. Registered model name cannot contain path separator`;
  if (name.includes('%')) return `Invalid name: '${name}'. Registered model name cannot contain '%' character`;
  return undefined;
}

/** The promotion checked and canonical, or a RegistryWriteError. */
export function checkedPromotion(promotion: Promotion): Promotion {
  if (promotion.kind === 'alias') {
    const problem = aliasProblem(promotion.alias);
    if (problem) throw new RegistryWriteError(problem);
    return promotion;
  }
  const stage = canonicalStage(promotion.stage);
  if (!stage) throw new RegistryWriteError(`Invalid Model Version stage: ${promotion.stage}. Value must be one of ${STAGES.join(', ')}.`);
  if (promotion.archiveExisting && !ACTIVE_STAGES.has(stage)) throw new RegistryWriteError(`Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ${[...ACTIVE_STAGES].join(', ')}`);
  return { ...promotion, stage };
}

/** The version that holds the alias or stage now (undefined: none), before the promotion. */
export function currentHolder(model: RegisteredModelRecord, promotion: Promotion): ModelVersionRecord[] {
  if (promotion.kind === 'alias') {
    const version = Object.hasOwn(model.aliases, promotion.alias) ? model.aliases[promotion.alias] : undefined;
    return model.versions.filter((v) => v.version === version);
  }
  return promotion.stage === 'None' ? [] : model.versions.filter((v) => v.stage === promotion.stage);
}

/**
 * What Promote… changes, in words, for the confirmation: the holder now; when `factsOf` is given,
 * the models' inputs, outputs and size (a changed signature first, as a warning) and whether
 * latency can be measured; and the runs' key metrics side by side.
 */
export function promotionSummary(
  model: RegisteredModelRecord,
  target: ModelVersionRecord,
  promotion: Promotion,
  metricsOf: (v: ModelVersionRecord) => readonly MetricSummary[] | undefined,
  factsOf?: (v: ModelVersionRecord) => VersionFacts | undefined,
): string {
  const holders = currentHolder(model, promotion).filter((v) => v.version !== target.version);
  const what = promotion.kind === 'alias' ? `@${promotion.alias}` : `stage ${promotion.stage}`;
  const lines: string[] = [];
  if (promotion.kind === 'alias') lines.push(holders.length ? `${model.name} @${promotion.alias}: v${holders[0]!.version} → v${target.version}` : `${model.name} @${promotion.alias}: new, on v${target.version}`);
  else {
    lines.push(`${model.name} v${target.version}: ${target.stage ?? 'None'} → ${promotion.stage}`);
    if (holders.length) lines.push(promotion.archiveExisting ? `Archived: ${holders.map((v) => `v${v.version}`).join(', ')} (now in ${promotion.stage})` : `Also in ${promotion.stage}: ${holders.map((v) => `v${v.version}`).join(', ')} (kept)`);
  }
  const before = holders[0];
  if (factsOf) {
    const side = (v: ModelVersionRecord): ComparedSide => ({ version: v.version, ...opt(factsOf(v)) });
    const a = before ? side(before) : undefined;
    const b = side(target);
    const models = compareModelSides(a, b);
    if (models.warnings.length) lines.push('', ...models.warnings.map((w) => `⚠ ${w}`));
    lines.push('', before ? `Model, v${before.version} → v${target.version}:` : `Model v${target.version}:`, ...models.lines.map((l) => `  ${l}`));
    const latency = latencyNote(a, b);
    if (latency) lines.push(`  ${latency}`);
  }
  const a = before ? metricsOf(before) : undefined;
  const b = metricsOf(target);
  if (b && b.length) {
    const old = new Map((a ?? []).map((m) => [m.key, m.last]));
    const keys = b.map((m) => m.key).slice(0, 8);
    lines.push('', before ? `Run metrics, v${before.version} → v${target.version}:` : `Run metrics of v${target.version}:`);
    for (const key of keys) {
      const now = b.find((m) => m.key === key)!.last;
      const was = old.get(key);
      lines.push(was === undefined ? `  ${key}: ${fmt(now)}` : `  ${key}: ${fmt(was)} → ${fmt(now)} (${now - was >= 0 ? '+' : ''}${fmt(now - was)})`);
    }
  } else if (target.runId) lines.push('', `The run of v${target.version} is not in the Experiments view: no metrics to compare.`);
  if (target.status && target.status !== 'READY') lines.push('', `Warning: v${target.version} is ${target.status}.`);
  return `${lines.join('\n')}\n\nThis writes ${what} to the registry.`;
}

const opt = (facts: VersionFacts | undefined): { facts?: VersionFacts } => (facts ? { facts } : {});
const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 ? x.toPrecision(4) : x.toExponential(3));
