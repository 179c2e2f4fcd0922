import { describeError } from '../../common/errors';

// The MLflow Model Registry as the Experiments view shows it: registered models, their versions
// with aliases (MLflow 2.9+), stages (older servers), the run each version came from. Read from
// the FileStore (registryFileStore.ts) and the SQLite store (registrySqlite.ts).

export interface ModelVersionRecord {
  readonly name: string;
  readonly version: number;
  readonly aliases: readonly string[];
  /** None, Staging, Production, Archived (MLflow before aliases). */
  readonly stage?: string;
  /** READY, PENDING_REGISTRATION, FAILED_REGISTRATION. */
  readonly status?: string;
  readonly source?: string;
  /** Where the registry copied the model (storage_location; MLflow 2.x+), when it says. */
  readonly storageLocation?: string;
  readonly runId?: string;
  readonly description?: string;
  readonly created?: number;
  readonly updated?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** What is wrong with this version's files; it is still listed. */
  readonly problems: readonly string[];
}

export interface RegisteredModelRecord {
  readonly name: string;
  readonly description?: string;
  readonly created?: number;
  readonly updated?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** alias → version */
  readonly aliases: Readonly<Record<string, number>>;
  /** Newest first. */
  readonly versions: readonly ModelVersionRecord[];
  readonly problems: readonly string[];
}

export interface RegistrySnapshot {
  /** The MLflow store: an mlruns/ folder or an mlflow.db file. */
  readonly store: string;
  readonly models: readonly RegisteredModelRecord[];
  readonly problems: readonly string[];
}

/** MLflow marks a deleted version this way in both stores (model_version_stages.py). */
export const STAGE_DELETED_INTERNAL = 'Deleted_Internal';

/** Aliases per version from the model's alias → version map. */
export function aliasesByVersion(aliases: Readonly<Record<string, number>>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [alias, version] of Object.entries(aliases)) out.set(version, [...(out.get(version) ?? []), alias].sort());
  return out;
}

/**
 * A store that could not be read at all (no database, a REST failure, a reader stopped): listed,
 * empty, with why, never thrown. Every reader says it this way; where it is shown names the store.
 */
export function unreadableRegistry(store: string, error: unknown, earlier: readonly string[] = []): RegistrySnapshot {
  return { store, models: [], problems: [...earlier, describeError(error)] };
}
