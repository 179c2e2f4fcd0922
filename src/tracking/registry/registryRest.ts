import { asMapping, setOwn } from '../ownProps';
import { MlflowServerError } from '../mlflowServer';
import { aliasesByVersion, STAGE_DELETED_INTERNAL, unreadableRegistry, type ModelVersionRecord, type RegisteredModelRecord, type RegistrySnapshot } from './registryModel';
import { aliasProblem, checkedPromotion, RegistryWriteError, type Promotion } from './registryPromote';
import { opt } from './registrySqlite';

// The Model Registry of an MLflow tracking server over REST (mlflow.org/docs/latest/rest-api.html,
// "Search RegisteredModels", "Search ModelVersions", "Set Registered Model Alias", "Transition
// ModelVersion Stage"): registered-models/search and model-versions/search are GETs with query
// parameters, paged by page_token until next_page_token is absent (max_results ≤ 1000 for models,
// as MLflow's SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD). Aliases come with each model
// (`aliases: [{alias, version}]`, MLflow 2.3+); a server without them lists stages only. Answers
// are checked as read: a proxy or another service at the URL gives a problem, never a TypeError.
// A server from before aliases answers 404 on the alias endpoint: there an alias can be kept as a
// registered-model tag `alias.<name>` = version (ALIAS_TAG_PREFIX), which this reader shows as the
// alias (a real alias of the same name wins), so @champion reads the same on old and new servers.

/** The registered-model tag that keeps an alias on a server without alias endpoints. */
export const ALIAS_TAG_PREFIX = 'alias.';

/** An alias promotion refused because the server predates aliases (MLflow < 2.3). */
export class AliasesUnsupportedError extends RegistryWriteError {}

/** Aliases kept as tags (`alias.<name>` = a version the model has), for the names without a real alias. */
function aliasesFromTags(tags: Readonly<Record<string, string>>, real: Readonly<Record<string, number>>, versions: ReadonlySet<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith(ALIAS_TAG_PREFIX)) continue;
    const alias = key.slice(ALIAS_TAG_PREFIX.length);
    const version = num(value.trim());
    if (version === undefined || !versions.has(version) || aliasProblem(alias) || Object.hasOwn(real, alias)) continue;
    setOwn(out, alias, version);
  }
  return out;
}

/** What the registry needs of a tracking server (MlflowServer). */
export interface RegistryServer {
  readonly root: string;
  call<T>(path: string, init: { method: 'GET' | 'POST' | 'DELETE'; body?: unknown; query?: Record<string, string> }, signal?: AbortSignal): Promise<T>;
}

const MAX_PAGES = 100;
const PAGE = 1000;

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined);

function pairs(entries: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list(entries).map(asMapping)) {
    const key = text(e?.key);
    if (key !== undefined) setOwn(out, key, text(e?.value) ?? '');
  }
  return out;
}

/** Every item of a paged GET search (`key` holds the page's items). */
async function searchAll(server: RegistryServer, path: string, key: string, signal?: AbortSignal, filter?: string): Promise<{ items: unknown[]; truncated: boolean }> {
  const items: unknown[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const body = asMapping(await server.call<unknown>(path, { method: 'GET', query: { max_results: String(PAGE), ...(filter ? { filter } : {}), ...(token ? { page_token: token } : {}) } }, signal));
    if (!body) throw new MlflowServerError(`${server.root} answered ${path} with something other than an object: is it an MLflow tracking server?`);
    items.push(...list(body[key]));
    token = text(body.next_page_token);
    if (!token) return { items, truncated: false };
  }
  return { items, truncated: true };
}

/** One model version of a REST answer (ModelVersion in the REST reference). */
export function versionFromRest(value: unknown, aliasesOfModel: ReadonlyMap<number, string[]> = new Map()): ModelVersionRecord | undefined {
  const v = asMapping(value);
  const name = text(v?.name);
  const version = num(v?.version);
  if (!v || name === undefined || version === undefined) return undefined;
  const own = list(v.aliases).map(text).filter((a): a is string => a !== undefined);
  return {
    name,
    version,
    aliases: [...new Set([...own, ...(aliasesOfModel.get(version) ?? [])])].sort(),
    ...opt('stage', text(v.current_stage)),
    ...opt('status', text(v.status)),
    ...opt('source', text(v.source)),
    ...opt('storageLocation', text(v.storage_location) || undefined),
    ...opt('runId', text(v.run_id) || undefined),
    ...opt('description', text(v.description) || undefined),
    ...opt('created', num(v.creation_timestamp)),
    ...opt('updated', num(v.last_updated_timestamp)),
    tags: pairs(v.tags),
    problems: [],
  };
}

/** The registry of the server: every registered model with all its versions (newest first). */
export async function readRegistryRest(server: RegistryServer, signal?: AbortSignal): Promise<RegistrySnapshot> {
  const problems: string[] = [];
  try {
    const models = await searchAll(server, 'registered-models/search', 'registered_models', signal);
    if (models.truncated) problems.push(`more than ${MAX_PAGES * PAGE} registered models: the first ${MAX_PAGES * PAGE} are listed`);
    const byName = new Map<string, { record: Omit<RegisteredModelRecord, 'versions'>; versions: ModelVersionRecord[] }>();
    for (const value of models.items) {
      const m = asMapping(value);
      const name = text(m?.name);
      if (!m || name === undefined) continue;
      const aliases: Record<string, number> = {};
      for (const a of list(m.aliases).map(asMapping)) {
        const alias = text(a?.alias);
        const version = num(a?.version);
        if (alias !== undefined && version !== undefined) setOwn(aliases, alias, version);
      }
      byName.set(name, {
        record: { name, ...opt('description', text(m.description) || undefined), ...opt('created', num(m.creation_timestamp)), ...opt('updated', num(m.last_updated_timestamp)), tags: pairs(m.tags), aliases, problems: [] },
        versions: [],
      });
    }
    const versions = await searchAll(server, 'model-versions/search', 'model_versions', signal);
    if (versions.truncated) problems.push(`more than ${MAX_PAGES * PAGE} model versions: the first ${MAX_PAGES * PAGE} are listed`);
    const live = versions.items.map((value) => versionFromRest(value)).filter((v): v is ModelVersionRecord => v !== undefined && v.stage !== STAGE_DELETED_INTERNAL);
    const numbers = new Map<string, Set<number>>();
    for (const v of live) numbers.set(v.name, (numbers.get(v.name) ?? new Set()).add(v.version));
    // Aliases kept as tags join the real ones (from the model and from each version).
    for (const [name, m] of byName) {
      const tagged = aliasesFromTags(m.record.tags, m.record.aliases, numbers.get(name) ?? new Set());
      if (Object.keys(tagged).length) m.record = { ...m.record, aliases: { ...m.record.aliases, ...tagged } };
    }
    const aliasMaps = new Map([...byName].map(([name, m]) => [name, aliasesByVersion(m.record.aliases)]));
    for (const v of live) {
      const extra = aliasMaps.get(v.name)?.get(v.version) ?? [];
      byName.get(v.name)?.versions.push(extra.length ? { ...v, aliases: [...new Set([...v.aliases, ...extra])].sort() } : v);
    }
    const records = [...byName.values()].map((m) => ({ ...m.record, versions: m.versions.sort((a, b) => b.version - a.version) })).sort((a, b) => a.name.localeCompare(b.name));
    return { store: server.root, models: records, problems };
  } catch (error) {
    return unreadableRegistry(server.root, error, problems);
  }
}

/**
 * Promote… over REST: POST registered-models/alias {name, alias, version} (MLflow 2.3+), or POST
 * model-versions/transition-stage {name, version, stage, archive_existing_versions}. A server
 * whose alias endpoint answers 404 without RESOURCE_DOES_NOT_EXIST predates aliases: the error
 * says to move a stage instead.
 */
export async function promoteOverRest(server: RegistryServer, name: string, version: number, promotion: Promotion, signal?: AbortSignal): Promise<void> {
  const p = checkedPromotion(promotion);
  if (p.kind === 'stage') {
    await server.call('model-versions/transition-stage', { method: 'POST', body: { name, version: String(version), stage: p.stage, archive_existing_versions: p.archiveExisting } }, signal);
    return;
  }
  try {
    await server.call('registered-models/alias', { method: 'POST', body: { name, alias: p.alias, version: String(version) } }, signal);
  } catch (error) {
    if (error instanceof MlflowServerError && error.status === 404 && !/RESOURCE_DOES_NOT_EXIST/.test(error.message)) throw new AliasesUnsupportedError(`${server.root} has no alias endpoints (an MLflow server before 2.3): move a stage instead, or keep the alias as the model's tag ${ALIAS_TAG_PREFIX}${p.alias}`);
    throw error;
  }
}

/**
 * On a server without alias endpoints: keeps `alias` as the registered model's tag
 * `alias.<alias>` = version (POST registered-models/set-tag, MLflow 1.x on), after checking that
 * the version exists and is not deleted (set-tag alone would not).
 */
export async function setAliasTagOverRest(server: RegistryServer, name: string, version: number, alias: string, signal?: AbortSignal): Promise<void> {
  const p = checkedPromotion({ kind: 'alias', alias });
  if (p.kind !== 'alias') return;
  const { items } = await searchAll(server, 'model-versions/search', 'model_versions', signal, `name='${name.replace(/'/g, "\\'")}'`);
  const found = items.map((v) => versionFromRest(v)).some((v) => v?.name === name && v.version === version && v.stage !== STAGE_DELETED_INTERNAL);
  if (!found) throw new RegistryWriteError(`Model Version (name=${name}, version=${version}) not found`);
  await server.call('registered-models/set-tag', { method: 'POST', body: { name, key: `${ALIAS_TAG_PREFIX}${p.alias}`, value: String(version) } }, signal);
}
