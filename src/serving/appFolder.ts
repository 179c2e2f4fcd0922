import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { DeployPlan } from '../models/deploy/deployPlan';
import { tritonModelName } from '../models/deploy/tritonConfig';
import { sha256File } from './loadTestRecord';

// Where Serve Locally writes a model's app: deploy/<name>-fastapi under the workspace root (Deploy's
// place), named after the model's file. Two models of one file name (models/a/model.joblib,
// models/b/model.joblib) must not share a folder, or the second would be served the first's copy:
// the folder says which model it serves (served_model.json: the model's path from the root), and a
// model whose plain folder serves another gets deploy/<name>-<hash of its path>-fastapi. The same
// model finds its folder again; the first of a name keeps the plain one. A folder written before
// the marker (or by Deploy) serves the model whose bytes its model/ copy holds.

export const SERVED_MODEL_FILE = 'served_model.json';

/** The model's path from the workspace root, with forward slashes: what the marker holds. */
function fromRoot(root: string, modelPath: string): string {
  return relative(root, modelPath).split(sep).join('/');
}

/** The plain folder, then the one named for the model's path. */
export function appDirCandidates(root: string, modelPath: string): readonly [string, string] {
  const name = tritonModelName(basename(modelPath));
  const hash = createHash('sha256').update(fromRoot(root, modelPath)).digest('hex').slice(0, 8);
  return [join(root, 'deploy', `${name}-fastapi`), join(root, 'deploy', `${name}-${hash}-fastapi`)];
}

/** Whether an app folder serves this model: its marker says so, or (no marker) its copy has the model's bytes. */
async function serves(dir: string, root: string, modelPath: string): Promise<boolean> {
  const marker = join(dir, SERVED_MODEL_FILE);
  if (existsSync(marker)) {
    try {
      return (JSON.parse(readFileSync(marker, 'utf8')) as { model?: unknown }).model === fromRoot(root, modelPath);
    } catch {
      return false;
    }
  }
  const copy = join(dir, 'model', basename(modelPath));
  if (!existsSync(join(dir, 'app.py')) || !existsSync(copy) || !existsSync(modelPath)) return false;
  return statSync(copy).size === statSync(modelPath).size && (await sha256File(copy)) === (await sha256File(modelPath));
}

const taken = (dir: string): boolean => existsSync(join(dir, 'app.py')) || existsSync(join(dir, SERVED_MODEL_FILE));

/** The app folder already serving this model, if there is one. */
export async function existingAppDir(root: string, modelPath: string): Promise<string | undefined> {
  for (const dir of appDirCandidates(root, modelPath)) if (await serves(dir, root, modelPath)) return dir;
  return undefined;
}

/** The model's app folder: the one serving it (exists), else the first free one (to be written). */
export async function appDirFor(root: string, modelPath: string): Promise<{ readonly appDir: string; readonly exists: boolean }> {
  const existing = await existingAppDir(root, modelPath);
  if (existing) return { appDir: existing, exists: true };
  const [plain, own] = appDirCandidates(root, modelPath);
  return { appDir: taken(plain) ? own : plain, exists: false };
}

/** The plan with the marker that ties its folder to the model. */
export function markServedModel(plan: DeployPlan, root: string, modelPath: string): DeployPlan {
  return { ...plan, files: [...plan.files, { path: SERVED_MODEL_FILE, content: `${JSON.stringify({ model: fromRoot(root, modelPath) })}\n` }] };
}
