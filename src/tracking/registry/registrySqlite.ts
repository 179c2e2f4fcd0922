import { SqliteFile, type SqlValue } from '../sqlite/sqliteFile';
import { setOwn } from '../ownProps';
import { aliasesByVersion, STAGE_DELETED_INTERNAL, unreadableRegistry, type ModelVersionRecord, type RegisteredModelRecord, type RegistrySnapshot } from './registryModel';

// The registry tables of MLflow's SQLite store (registered_models, registered_model_tags,
// registered_model_aliases, model_versions, model_version_tags; mlflow/store/model_registry/
// dbmodels/models.py and the schema dump in shared/corpora/mlflow), read with the bounded SQLite
// reader. A database from before aliases (MLflow < 2.3) has no alias table: stages only.

const str = (v: SqlValue | undefined): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined);
const num = (v: SqlValue | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

export function readRegistrySqlite(path: string): RegistrySnapshot {
  let db: SqliteFile;
  try {
    db = new SqliteFile(path);
  } catch (error) {
    return unreadableRegistry(path, error);
  }
  try {
    if (!db.hasTable('registered_models')) return { store: path, models: [], problems: [] };
    const problems: string[] = [];
    // A damaged optional table is a problem to show; the rest still lists.
    const each = (table: string, fn: (row: Record<string, SqlValue>) => void): void => db.eachRowOfOptional(table, fn, problems);
    const models = new Map<string, { record: Omit<RegisteredModelRecord, 'versions'>; tags: Record<string, string>; aliases: Record<string, number>; versions: ModelVersionRecord[] }>();
    each('registered_models', (row) => {
      const name = str(row.name) ?? '';
      const tags: Record<string, string> = {};
      const aliases: Record<string, number> = {};
      models.set(name, { record: { name, ...opt('description', str(row.description)), ...opt('created', num(row.creation_time)), ...opt('updated', num(row.last_updated_time)), tags, aliases, problems: [] }, tags, aliases, versions: [] });
    });
    each('registered_model_tags', (row) => {
      const m = models.get(str(row.name) ?? '');
      if (m) setOwn(m.tags, str(row.key) ?? '', str(row.value) ?? '');
    });
    each('registered_model_aliases', (row) => {
      const m = models.get(str(row.name) ?? '');
      const version = num(row.version);
      if (m && version !== undefined) setOwn(m.aliases, str(row.alias) ?? '', version);
    });
    const versionTags = new Map<string, Record<string, string>>();
    each('model_version_tags', (row) => {
      const key = `${str(row.name) ?? ''}\u0000${str(row.version) ?? ''}`;
      let tags = versionTags.get(key);
      if (!tags) versionTags.set(key, (tags = {}));
      setOwn(tags, str(row.key) ?? '', str(row.value) ?? '');
    });
    const pending: Record<string, SqlValue>[] = [];
    each('model_versions', (row) => void pending.push(row));
    for (const row of pending) {
      if (row.current_stage === STAGE_DELETED_INTERNAL) continue;
      const name = str(row.name) ?? '';
      const m = models.get(name);
      const version = num(row.version);
      if (!m || version === undefined) continue;
      const aliases = aliasesByVersion(m.aliases).get(version) ?? [];
      m.versions.push({
        name,
        version,
        aliases,
        ...opt('stage', str(row.current_stage)),
        ...opt('status', str(row.status)),
        ...opt('source', str(row.source)),
        ...opt('storageLocation', str(row.storage_location) || undefined),
        ...opt('runId', str(row.run_id) || undefined),
        ...opt('description', str(row.description) || undefined),
        ...opt('created', num(row.creation_time)),
        ...opt('updated', num(row.last_updated_time)),
        tags: versionTags.get(`${name}\u0000${version}`) ?? {},
        problems: [],
      });
    }
    const records = [...models.values()].map((m) => ({ ...m.record, versions: m.versions.sort((a, b) => b.version - a.version) })).sort((a, b) => a.name.localeCompare(b.name));
    return { store: path, models: records, problems };
  } catch (error) {
    return unreadableRegistry(path, error);
  } finally {
    db.close();
  }
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export { opt };
