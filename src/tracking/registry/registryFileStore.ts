import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../common/errors';
import { filesUnderSync, listDirSync } from '../fileReads';
import { asMapping, setOwn } from '../ownProps';
import { parseTrackingYaml } from '../trackingValues';
import { aliasesByVersion, STAGE_DELETED_INTERNAL, type ModelVersionRecord, type RegisteredModelRecord, type RegistrySnapshot } from './registryModel';
import { opt } from './registrySqlite';

// The registry of MLflow's FileStore (mlflow/store/model_registry/file_store.py): mlruns/models/
// <name>/meta.yaml (dict(RegisteredModel) less tags and latest_versions), tags/<key>,
// aliases/<alias> (the file holds the version), version-<n>/meta.yaml and version-<n>/tags/.
// Every file is size-capped; a model or version whose meta.yaml is missing or unreadable is
// listed with the problem, never thrown.

const MAX_META_BYTES = 1024 * 1024;
const MAX_VALUE_BYTES = 64 * 1024;
const MAX_MODELS = 5000;
const MAX_VERSIONS = 5000;

function readCapped(path: string, max: number): string {
  const size = statSync(path).size;
  if (size > max) throw new Error(`${size} bytes, more than the ${max} a registry file holds`);
  return readFileSync(path, 'utf8');
}

function readMeta(dir: string): Record<string, unknown> {
  const meta = asMapping(parseTrackingYaml(readCapped(join(dir, 'meta.yaml'), MAX_META_BYTES)));
  if (!meta) throw new Error('meta.yaml is not a mapping');
  return meta;
}

function valueFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, path } of filesUnderSync(dir, 4).slice(0, 1000)) {
    try {
      setOwn(out, key, readCapped(path, MAX_VALUE_BYTES));
    } catch {
      // an unreadable tag is left out; the model still lists
    }
  }
  return out;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** A model's or version's meta.yaml; when missing or unreadable, empty, and why is added to `problems` (it is still listed). */
function metaOf(dir: string, problems: string[]): Record<string, unknown> {
  try {
    return readMeta(dir);
  } catch (error) {
    problems.push((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'meta.yaml is missing' : describeError(error));
    return {};
  }
}

/** The registry under an mlruns/ folder (empty when it has no models/ folder). */
export function readRegistryFileStore(mlruns: string): RegistrySnapshot {
  const modelsDir = join(mlruns, 'models');
  const problems: string[] = [];
  const entries = listDirSync(modelsDir).filter((e) => e.isDirectory());
  if (entries.length > MAX_MODELS) problems.push(`${entries.length} registered models: the first ${MAX_MODELS} are listed`);
  const models: RegisteredModelRecord[] = [];
  for (const entry of entries.slice(0, MAX_MODELS)) {
    const dir = join(modelsDir, entry.name);
    const modelProblems: string[] = [];
    const meta = metaOf(dir, modelProblems);
    const aliases: Record<string, number> = {};
    for (const [alias, text] of Object.entries(valueFiles(join(dir, 'aliases')))) {
      const version = n(text.trim());
      if (version !== undefined) setOwn(aliases, alias, version);
    }
    const byVersion = aliasesByVersion(aliases);
    const versions: ModelVersionRecord[] = [];
    const versionDirs = listDirSync(dir).filter((e) => e.isDirectory() && /^version-\d+$/.test(e.name));
    for (const v of versionDirs.slice(0, MAX_VERSIONS)) {
      const vdir = join(dir, v.name);
      const number = Number(v.name.slice('version-'.length));
      const vproblems: string[] = [];
      const vmeta = metaOf(vdir, vproblems);
      if (vmeta.current_stage === STAGE_DELETED_INTERNAL) continue;
      versions.push({
        name: entry.name,
        version: n(vmeta.version) ?? number,
        aliases: byVersion.get(n(vmeta.version) ?? number) ?? [],
        ...opt('stage', s(vmeta.current_stage)),
        ...opt('status', s(vmeta.status)),
        ...opt('source', s(vmeta.source)),
        ...opt('storageLocation', s(vmeta.storage_location) || undefined),
        ...opt('runId', s(vmeta.run_id) || undefined),
        ...opt('description', s(vmeta.description) || undefined),
        ...opt('created', n(vmeta.creation_timestamp)),
        ...opt('updated', n(vmeta.last_updated_timestamp)),
        tags: valueFiles(join(vdir, 'tags')),
        problems: vproblems,
      });
    }
    models.push({
      name: s(meta.name) ?? entry.name,
      ...opt('description', s(meta.description) || undefined),
      ...opt('created', n(meta.creation_timestamp)),
      ...opt('updated', n(meta.last_updated_timestamp)),
      tags: valueFiles(join(dir, 'tags')),
      aliases,
      versions: versions.sort((a, b) => b.version - a.version),
      problems: modelProblems,
    });
  }
  return { store: mlruns, models: models.sort((a, b) => a.name.localeCompare(b.name)), problems };
}
