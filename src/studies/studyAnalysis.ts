import { FANOVA_TREES, fanova } from './fanova';
import type { Direction, Distribution, ParamValue, StudyRecord, TrialRecord, TrialState } from './studyModel';

// What the tree, the study view, the CLI and the agent say about a study: counts by state, the
// best trial (single objective) or the Pareto front (several), parameter importances and the
// region of the best trials. Pure functions over a StudyRecord.

export function countStates(study: StudyRecord): Record<TrialState, number> {
  const counts: Record<TrialState, number> = { complete: 0, running: 0, pruned: 0, fail: 0, waiting: 0 };
  for (const t of study.trials) counts[t.state]++;
  return counts;
}

/** Completed trials whose every objective is a number (NaN and infinities are not comparable). */
export function completedTrials(study: StudyRecord): TrialRecord[] {
  return study.trials.filter((t) => t.state === 'complete' && t.values !== undefined && t.values.length === study.directions.length && t.values.every((v) => !Number.isNaN(v)));
}

const better = (d: Direction, a: number, b: number): boolean => (d === 'maximize' ? a > b : a < b);

/** The best trial of a single-objective study, as `study.best_trial` (the first of equals). */
export function bestTrial(study: StudyRecord): TrialRecord | undefined {
  if (study.directions.length !== 1) return undefined;
  const d = study.directions[0]!;
  let best: TrialRecord | undefined;
  for (const t of completedTrials(study)) if (!best || better(d, t.values![0]!, best.values![0]!)) best = t;
  return best;
}

/** Trials sorted best first (single objective), for top-K. */
export function rankedTrials(study: StudyRecord, objective = 0): TrialRecord[] {
  const d = study.directions[objective] ?? 'minimize';
  return completedTrials(study).sort((a, b) => (d === 'maximize' ? b.values![objective]! - a.values![objective]! : a.values![objective]! - b.values![objective]!) || a.number - b.number);
}

/** Whether `a` dominates `b`: no worse in every objective, better in one. */
function dominates(directions: readonly Direction[], a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < directions.length; i++) {
    if (better(directions[i]!, b[i]!, a[i]!)) return false;
    if (better(directions[i]!, a[i]!, b[i]!)) strictly = true;
  }
  return strictly;
}

/** The Pareto front (`study.best_trials`): completed trials no other dominates, in number order. */
export function paretoFront(study: StudyRecord): TrialRecord[] {
  const done = completedTrials(study);
  if (study.directions.length === 1) {
    const best = bestTrial(study);
    return best ? done.filter((t) => t.values![0] === best.values![0]) : [];
  }
  // O(n²) over completed trials; a front over tens of thousands is sorted on the first objective first.
  const sorted = [...done].sort((a, b) => (study.directions[0] === 'maximize' ? b.values![0]! - a.values![0]! : a.values![0]! - b.values![0]!));
  const front: TrialRecord[] = [];
  for (const t of sorted) if (!front.some((f) => dominates(study.directions, f.values!, t.values!))) front.push(t);
  return front.filter((t) => !done.some((o) => dominates(study.directions, o.values!, t.values!))).sort((a, b) => a.number - b.number);
}

/** Trials the forest is fitted on at most: evenly spaced over the completed ones, so a 10,000-trial study stays interactive. */
export const IMPORTANCE_MAX_TRIALS = 300;
// A small study's forest is noisy: 256 trees there (4× Optuna's 64), Optuna's 64 beyond 100 trials.
const importanceCache = new Map<string, { name: string; importance: number }[]>();

/**
 * Parameter importances with Optuna's default estimator, fANOVA (fanova.ts): over the completed
 * trials that have every parameter and a finite value, each number by its raw value (Optuna 3.1
 * does not take the log of log-scale parameters here) and each categorical one-hot; normalised to
 * sum 1. Parameters with one possible value are left out.
 */
export function paramImportances(study: StudyRecord, objective = 0, seed = 0): { name: string; importance: number }[] {
  const names = Object.keys(study.distributions).filter((n) => {
    const d = study.distributions[n]!;
    return !(d.type === 'categorical' ? d.choices.length < 2 : d.low === d.high);
  });
  let done = completedTrials(study).filter((t) => Number.isFinite(t.values![objective]!) && names.every((n) => encodable(t.params[n], study.distributions[n]!)));
  if (done.length < 2 || names.length === 0) return [];
  if (done.length > IMPORTANCE_MAX_TRIALS) done = Array.from({ length: IMPORTANCE_MAX_TRIALS }, (_, i) => done[Math.floor((i * done.length) / IMPORTANCE_MAX_TRIALS)]!);
  // The view and the tools ask again on every poll; the forest changes only with the trials it is fitted on.
  const key = `${study.name}\0${objective}\0${seed}\0${done.length}\0${done.map((t) => `${t.number}:${t.values![objective]!}`).join(',')}`;
  const cached = importanceCache.get(key);
  if (cached) return cached;
  const bounds: [number, number][] = [];
  const groups: number[][] = [];
  for (const n of names) {
    const d = study.distributions[n]!;
    const width = d.type === 'categorical' ? d.choices.length : 1;
    groups.push(Array.from({ length: width }, (_, i) => bounds.length + i));
    for (let i = 0; i < width; i++) bounds.push(d.type === 'categorical' ? [0, 1] : [d.low, d.high]);
  }
  const rows = done.map((t) =>
    names.flatMap((n) => {
      const d = study.distributions[n]!;
      const v = t.params[n];
      return d.type === 'categorical' ? d.choices.map((c) => (c === v ? 1 : 0)) : [v as number];
    }),
  );
  const raw = fanova({ rows, y: done.map((t) => t.values![objective]!), bounds, groups }, { seed, trees: done.length <= 100 ? FANOVA_TREES : FANOVA_TREES / 4 });
  const total = raw.reduce((s, r) => s + r, 0);
  const result = names.map((name, i) => ({ name, importance: total > 0 ? raw[i]! / total : 1 / names.length })).sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
  if (importanceCache.size > 32) importanceCache.clear();
  importanceCache.set(key, result);
  return result;
}

function encodable(value: ParamValue | undefined, d: Distribution): boolean {
  if (value === undefined) return false;
  return d.type === 'categorical' ? d.choices.some((c) => c === value) : typeof value === 'number' && Number.isFinite(value);
}

export type ParamRegion = { name: string; low: number; high: number; log: boolean } | { name: string; choices: ParamValue[] };

/** Where the best trials sit, per parameter: the top tenth (at least 3) of the completed trials. */
export function bestRegion(study: StudyRecord, objective = 0): { trials: number; regions: ParamRegion[] } {
  const ranked = study.directions.length === 1 ? rankedTrials(study, objective) : paretoFront(study);
  const top = study.directions.length === 1 ? ranked.slice(0, Math.max(3, Math.ceil(ranked.length / 10))) : ranked;
  const regions: ParamRegion[] = [];
  for (const [name, d] of Object.entries(study.distributions)) {
    const values = top.map((t) => t.params[name]).filter((v) => v !== undefined);
    if (values.length === 0) continue;
    if (d.type === 'categorical') regions.push({ name, choices: [...new Set(values)] });
    else {
      const nums = values.filter((v): v is number => typeof v === 'number');
      if (nums.length) regions.push({ name, low: Math.min(...nums), high: Math.max(...nums), log: d.log });
    }
  }
  return { trials: top.length, regions };
}

/** Optimization history: each completed trial's value and the best so far, in trial order. */
export function historySeries(study: StudyRecord, objective = 0): { numbers: number[]; values: number[]; best: number[] } {
  const d = study.directions[objective] ?? 'minimize';
  const numbers: number[] = [];
  const values: number[] = [];
  const best: number[] = [];
  let so = NaN;
  for (const t of study.trials) {
    if (t.state !== 'complete' || !t.values) continue;
    const v = t.values[objective];
    if (v === undefined || Number.isNaN(v)) continue;
    if (Number.isNaN(so) || better(d, v, so)) so = v;
    numbers.push(t.number);
    values.push(v);
    best.push(so);
  }
  return { numbers, values, best };
}
