import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, isAbsolute } from 'node:path';
import { artifactUriPath } from '../mlflowFileStore';
import type { RunRecord } from '../runModel';
import type { ModelVersionRecord } from './registryModel';

// Where a model version's files are on this machine (Deploy… and Open Model Files): its
// storage_location or source when either is a local path (file:// or a plain path), a runs:/
// source under its run's artifact folder, or an mlflow-artifacts:/ one under the mlartifacts/
// folder beside an mlflow.db (where `mlflow server` keeps them by default). A version on a remote
// artifact store has none here.

/** The file names a model is served or opened from, best first. */
const MODEL_FILE = /\.(onnx|pkl|pickle|joblib|skops|pt|pth|safetensors)$/i;
const MAX_ENTRIES = 2000;
/** An MLflow model folder is a few levels deep (model/data/model.pth); a registry pointing elsewhere is not walked further. */
const MAX_DEPTH = 6;

/** The local folder (or file) holding the version's model, when there is one. */
export function versionModelPath(version: ModelVersionRecord, run: RunRecord | undefined, store: { kind: string; root: string }): string | undefined {
  const candidates: string[] = [];
  for (const uri of [version.storageLocation, version.source]) {
    const local = artifactUriPath(uri);
    if (local) candidates.push(local);
  }
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(version.source ?? '');
  if (runs && run?.artifactsDir && run.runId === runs[1]) candidates.push(inside(run.artifactsDir, runs[2] ?? ''));
  const proxied = /^mlflow-artifacts:\/+(.*)$/.exec(version.storageLocation ?? version.source ?? '');
  if (proxied && store.kind === 'mlflow-sqlite') candidates.push(inside(join(dirname(store.root), 'mlartifacts'), proxied[1] ?? ''));
  return candidates.find((c) => c !== '' && existsSync(c));
}

/** `rel` under `base`, or '' when it would leave it. */
function inside(base: string, rel: string): string {
  const path = normalize(join(base, rel));
  const r = relative(base, path);
  return r.startsWith('..') || isAbsolute(r) ? '' : path;
}

/** The model files under a version's folder (MLmodel first, then by the order of MODEL_FILE's formats), bounded in entries and depth. */
export function modelFilesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  const stack = [{ dir: path, depth: 0 }];
  let seen = 0;
  while (stack.length && seen < MAX_ENTRIES) {
    const { dir, depth } = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (++seen > MAX_ENTRIES) break;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH) stack.push({ dir: full, depth: depth + 1 });
      } else if (entry.isFile() && (MODEL_FILE.test(entry.name) || entry.name === 'MLmodel')) out.push(full);
    }
  }
  const rank = (f: string): number => (f.endsWith('MLmodel') ? -1 : ['onnx', 'pkl', 'pickle', 'joblib', 'skops', 'pt', 'pth', 'safetensors'].indexOf(/\.([^.]+)$/.exec(f)?.[1]?.toLowerCase() ?? ''));
  return out.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The file Serve Locally can start from (ONNX or a scikit-learn pickle/joblib), if any. */
export function servableFile(files: readonly string[]): string | undefined {
  return files.find((f) => /\.(onnx|pkl|pickle|joblib)$/i.test(f));
}
