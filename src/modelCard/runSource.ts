import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatMetric } from '../tracking/runQuery';
import { SOURCE_NAMES, type RunRecord } from '../tracking/runModel';
import { codeSpan, type CardSource } from './cardSources';

// The run a card reports: the one the user names, else the one run whose params, tags or artifacts
// name the model file. Never a guess among several: the card says which ones matched instead.

/** The most metrics a card lists: a run may log hundreds. */
export const MAX_METRICS = 30;

/** A run's record as text, one fact a line, as the card quotes it. */
export function runSourceText(run: RunRecord): string {
  const lines = [`run ${run.name} id=${run.runId} status=${run.status} source=${SOURCE_NAMES[run.source]} experiment=${run.experiment}`, `location: ${run.location}`];
  for (const [k, v] of Object.entries(run.params)) lines.push(`param ${k} = ${v}`);
  for (const [k, v] of Object.entries(run.tags)) if (!k.startsWith('mlflow.') || k === 'mlflow.source.name') lines.push(`tag ${k} = ${v}`);
  for (const m of run.metrics.slice(0, MAX_METRICS)) lines.push(`metric ${m.key}: last ${formatMetric(m.last)} at step ${m.lastStep}`);
  return lines.join('\n');
}

export function runSource(run: RunRecord): CardSource {
  return { title: `run \`${run.runId}\` (${SOURCE_NAMES[run.source]}, experiment \`${run.experiment}\`)`, text: runSourceText(run) };
}

export type RunPick = { readonly run: RunRecord } | { readonly missing: string };

/** The run `wanted` names (its id, an id prefix of 6+ characters, or its name). */
export function pickNamedRun(runs: readonly RunRecord[], wanted: string): RunPick {
  const live = runs.filter((r) => !r.deleted);
  const exact = live.filter((r) => r.runId === wanted || r.key === wanted);
  const matches = exact.length ? exact : live.filter((r) => (wanted.length >= 6 && r.runId.startsWith(wanted)) || r.name === wanted);
  if (matches.length === 1) return { run: matches[0]! };
  if (matches.length === 0) return { missing: `the training run: the run ${codeSpan(wanted)} is not among the runs found` };
  return { missing: `the training run: ${codeSpan(wanted)} names more than one run (${matches.map((r) => codeSpan(r.runId)).join(', ')}); give one id` };
}

/** The one run whose params, tags or artifact folder name the model file; none when zero or several do. */
export function findRunOfModel(runs: readonly RunRecord[], modelPath: string): RunPick {
  const name = basename(modelPath);
  const matches = runs.filter((r) => !r.deleted && (mentions(r, name) || (r.artifactsDir !== undefined && holdsFile(r.artifactsDir, name))));
  if (matches.length === 1) return { run: matches[0]! };
  if (matches.length === 0) return { missing: `the training run: no run was given, and no run found names ${codeSpan(name)} in its params, tags or artifacts (give one with \`--run\` / \`run\`)` };
  return { missing: `the training run: more than one run names ${codeSpan(name)} (${matches.map((r) => codeSpan(r.runId)).join(', ')}); give one with \`--run\` / \`run\`` };
}

function mentions(run: RunRecord, name: string): boolean {
  return [...Object.values(run.params), ...Object.values(run.tags)].some((v) => v.includes(name));
}

/** Whether a file called `name` is in `dir` or below, 3 levels deep and 2,000 entries at most: artifact folders can be large. */
function holdsFile(dir: string, name: string): boolean {
  let budget = 2000;
  const walk = (folder: string, depth: number): boolean => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      if (--budget < 0) return false;
      if (entry.name === name) return true;
      if (entry.isDirectory() && depth < 3 && walk(join(folder, entry.name), depth + 1)) return true;
    }
    return false;
  };
  return walk(dir, 0);
}

/** Param keys that say how the model was validated, and ones that say what it was trained on. */
export const VALIDATION_KEY = /split|fold|(^|_)cv($|_)|valid|holdout|test_size|val_size|stratif/i;
/** Param keys that fix the randomness: not a validation method, but needed to repeat it. */
export const SEED_KEY = /seed|random_state/i;
export const DATA_KEY = /data|train_path|train_file|rows|samples|target|features/i;
