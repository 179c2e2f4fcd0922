import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { STAGE_DELETED_INTERNAL } from './registryModel';
import { checkedPromotion, modelNameProblem, RegistryWriteError, type Promotion } from './registryPromote';

// Promote… in MLflow's FileStore, written as mlflow/store/model_registry/file_store.py writes it:
// set_registered_model_alias checks the model and the version (not Deleted_Internal), writes
// models/<name>/aliases/<alias> holding str(version), then sets the model's
// last_updated_timestamp in its meta.yaml; transition_model_version_stage sets the version's
// current_stage and last_updated_timestamp, archives the other versions in that stage when asked,
// and sets the model's last_updated_timestamp. meta.yaml keeps every other key as it was (MLflow
// re-dumps the same dict); each file is replaced whole (written beside, then renamed), so a reader
// never sees half of one.

const MAX_META_BYTES = 1024 * 1024;

function replaceFile(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** Sets keys of a meta.yaml, keeping the rest of it. */
function updateMeta(dir: string, values: Record<string, string | number>): void {
  const path = join(dir, 'meta.yaml');
  if (statSync(path).size > MAX_META_BYTES) throw new RegistryWriteError(`${path} is larger than a registry meta.yaml: not changed`);
  const doc = parseDocument(readFileSync(path, 'utf8'));
  const value: unknown = doc.errors.length ? undefined : doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RegistryWriteError(`${path} is not a YAML mapping: not changed`);
  for (const [k, v] of Object.entries(values)) doc.set(k, v);
  replaceFile(path, doc.toString({ lineWidth: 0 }));
}

function stageOf(vdir: string): string | undefined {
  const doc = parseDocument(readFileSync(join(vdir, 'meta.yaml'), 'utf8'));
  const stage = doc.get('current_stage');
  return typeof stage === 'string' ? stage : undefined;
}

/** Applies a promotion to the FileStore under `mlruns` (the folder holding models/). */
export function promoteInFileStore(mlruns: string, name: string, version: number, promotion: Promotion, now = Date.now()): void {
  const p = checkedPromotion(promotion);
  const nameProblem = modelNameProblem(name);
  if (nameProblem) throw new RegistryWriteError(nameProblem);
  const modelDir = join(mlruns, 'models', name);
  if (!existsSync(join(modelDir, 'meta.yaml'))) throw new RegistryWriteError(`Registered Model with name=${name} not found`);
  const vdir = join(modelDir, `version-${version}`);
  if (!Number.isSafeInteger(version) || !existsSync(join(vdir, 'meta.yaml')) || stageOf(vdir) === STAGE_DELETED_INTERNAL) throw new RegistryWriteError(`Model Version (name=${name}, version=${version}) not found`);
  if (p.kind === 'alias') {
    mkdirSync(join(modelDir, 'aliases'), { recursive: true });
    replaceFile(join(modelDir, 'aliases', p.alias), String(version));
  } else {
    if (p.archiveExisting) {
      for (const entry of readdirSync(modelDir, { withFileTypes: true })) {
        if (!entry.isDirectory() || !/^version-\d+$/.test(entry.name) || entry.name === `version-${version}`) continue;
        const other = join(modelDir, entry.name);
        if (existsSync(join(other, 'meta.yaml')) && stageOf(other) === p.stage) updateMeta(other, { current_stage: 'Archived', last_updated_timestamp: now });
      }
    }
    updateMeta(vdir, { current_stage: p.stage, last_updated_timestamp: now });
  }
  updateMeta(modelDir, { last_updated_timestamp: now });
}
