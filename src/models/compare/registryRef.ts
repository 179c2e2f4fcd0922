import { basename } from 'node:path';
import { StudyReaders } from '../../studies/studyReaders';
import type { RegistrySnapshot } from '../../tracking/registry/registryModel';
import { modelFilesIn, servableFile, versionModelPath } from '../../tracking/registry/versionFiles';
import type { RunRecord } from '../../tracking/runModel';
import { TrackingReaders } from '../../tracking/workerSources';

// A model named by the MLflow Model Registry instead of a file, for Compare Models' tools and CLI:
// `models:/name/3`, `models:/name@alias`, `name@alias`, or `models:/name/Production` (a stage, on
// registries from before aliases). Resolved as the Experiments view resolves a version's files
// (versionFiles.ts): its storage_location or source on this machine, the model file in it (ONNX,
// a scikit-learn pickle, then the rest). The registries are the folder's mlruns/ FileStores and
// mlflow.db files, read in the readers' workers (the files are the user's, never trusted).

export interface ModelRef {
  readonly name: string;
  readonly version?: number;
  readonly alias?: string;
  readonly stage?: string;
}

/** The reference, or undefined where `text` is a path. `name@alias` needs no `models:/`, so a file name with @ in it and no extension is read as one. */
export function parseModelRef(text: string): ModelRef | undefined {
  const uri = /^models:\/+([^/@]+)(?:\/([^/@]+)|@([^/@]+))\/?$/.exec(text.trim());
  if (uri) {
    const [, name, v, alias] = uri;
    if (alias) return { name: name!, alias };
    return /^\d+$/.test(v!) ? { name: name!, version: Number(v) } : { name: name!, stage: v! };
  }
  const at = /^([A-Za-z0-9_][\w.-]*)@([\w-]+)$/.exec(text.trim());
  return at && !/\.[A-Za-z]+$/.test(at[2]!) ? { name: at[1]!, alias: at[2]! } : undefined;
}

export const refText = (ref: ModelRef): string => `${ref.name}${ref.alias ? `@${ref.alias}` : ref.version !== undefined ? ` v${ref.version}` : ` (${ref.stage})`}`;

export interface LocatedStore {
  readonly registry: RegistrySnapshot;
  readonly location: { readonly kind: string; readonly root: string };
}

export interface ResolvedRef {
  /** The model file. */
  readonly path: string;
  /** How the report names it: "churn v3 (model.onnx)". */
  readonly label: string;
}

/**
 * The version's model file; errors say what is missing, in words. `allow` may refuse the version's
 * folder (throwing) before it is walked: the agent's tools refuse one outside the workspace, since
 * an untrusted registry's storage_location can name any folder (`/` too).
 */
export async function resolveModelRef(ref: ModelRef, stores: readonly LocatedStore[], runs: readonly RunRecord[] = [], allow?: (folder: string) => Promise<unknown>): Promise<ResolvedRef> {
  const holding = stores.filter((s) => s.registry.models.some((m) => m.name === ref.name));
  if (holding.length === 0) {
    const names = stores.flatMap((s) => s.registry.models.map((m) => m.name));
    throw new Error(stores.length === 0 ? `no MLflow model registry (mlruns/ or mlflow.db) was found in the folder to look up ${refText(ref)}` : `no registered model "${ref.name}" (registered: ${names.slice(0, 10).join(', ') || 'none'})`);
  }
  if (holding.length > 1) throw new Error(`"${ref.name}" is registered in ${holding.length} registries (${holding.map((s) => s.location.root).join(', ')}): give the model file instead`);
  const store = holding[0]!;
  const model = store.registry.models.find((m) => m.name === ref.name)!;
  const live = model.versions.filter((v) => v.stage !== 'Deleted_Internal');
  const number = ref.alias !== undefined ? model.aliases[ref.alias] : ref.version ?? live.filter((v) => v.stage?.toLowerCase() === ref.stage?.toLowerCase()).map((v) => v.version).sort((a, b) => b - a)[0];
  if (number === undefined) throw new Error(ref.alias !== undefined ? `${ref.name} has no alias @${ref.alias} (its aliases: ${Object.keys(model.aliases).map((a) => `@${a}`).join(', ') || 'none'})` : `${ref.name} has no version in stage ${ref.stage}`);
  const version = live.find((v) => v.version === number);
  if (!version) throw new Error(`${ref.name} has no version ${number} (its versions: ${live.map((v) => v.version).join(', ') || 'none'})`);
  const run = version.runId ? runs.find((r) => r.runId === version.runId) : undefined;
  const folder = versionModelPath(version, run, store.location);
  if (!folder) throw new Error(`${ref.name} v${number}'s files are not on this machine (source ${version.source ?? 'unknown'}): download them and compare the files`);
  await allow?.(folder);
  const files = modelFilesIn(folder);
  const file = servableFile(files) ?? files.find((f) => !f.endsWith('MLmodel'));
  if (!file) throw new Error(`${ref.name} v${number}'s folder ${folder} holds no model file Compare Models reads`);
  return { path: file, label: `${ref.name} v${number} (${basename(file)})` };
}

/** The MLflow registries under `folder`, read in the readers' workers. */
export async function folderRegistries(folder: string, signal?: AbortSignal): Promise<LocatedStore[]> {
  const tracking = new TrackingReaders();
  const studies = new StudyReaders();
  try {
    const { sources } = await tracking.discover(folder);
    const out: LocatedStore[] = [];
    for (const source of sources) {
      signal?.throwIfAborted();
      if (source.kind === 'mlflow' || source.kind === 'mlflow-sqlite') out.push({ registry: await studies.registry(source.root, source.kind), location: { kind: source.kind, root: source.root } });
    }
    return out;
  } finally {
    tracking.dispose();
    studies.dispose();
  }
}
