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

/** A parameter's value on its axis: log10 for log distributions, the choice's index for categoricals. */
export function axisValue(value: ParamValue | undefined, d: Distribution | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (d?.type === 'categorical') {
    const i = d.choices.findIndex((c) => c === value);
    return i < 0 ? undefined : i;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (d?.log) return value > 0 ? Math.log10(value) : undefined;
  return value;
}

const BINS = 8;

/**
 * Parameter importances: for each parameter, the share of the objective's variance its value
 * explains on its own (the correlation ratio ε², η² less its chance share, of the objective grouped by the parameter: one
 * group per choice of a categorical, equal-count bins on the log or linear axis of a number),
 * normalised to sum 1. This is the first-order (main-effect) term fANOVA estimates; Optuna's
 * default `get_param_importances` fits a random forest to estimate it, so figures differ, and the
 * ranks agree where one parameter clearly matters more (test/integration/studies.test.ts).
 */
export function paramImportances(study: StudyRecord, objective = 0): { name: string; importance: number }[] {
  const done = completedTrials(study).filter((t) => Number.isFinite(t.values![objective]!));
  if (done.length < 2) return [];
  const names = Object.keys(study.distributions).filter((n) => {
    const d = study.distributions[n]!;
    return !(d.type === 'categorical' ? d.choices.length < 2 : d.low === d.high);
  });
  const raw = names.map((name) => {
    const d = study.distributions[name];
    const pairs = done.flatMap((t) => {
      const x = axisValue(t.params[name], d);
      return x === undefined ? [] : [[x, t.values![objective]!] as const];
    });
    return { name, importance: correlationRatio(pairs, d?.type === 'categorical') };
  });
  const total = raw.reduce((s, r) => s + r.importance, 0);
  return raw.map((r) => ({ name: r.name, importance: total > 0 ? r.importance / total : 1 / raw.length })).sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
}

function correlationRatio(pairs: readonly (readonly [number, number])[], categorical: boolean): number {
  if (pairs.length < 2) return 0;
  const mean = pairs.reduce((s, [, y]) => s + y, 0) / pairs.length;
  const total = pairs.reduce((s, [, y]) => s + (y - mean) ** 2, 0);
  if (total === 0) return 0;
  const groups = new Map<number, number[]>();
  const add = (key: number, y: number): void => {
    const group = groups.get(key);
    if (group) group.push(y);
    else groups.set(key, [y]);
  };
  if (categorical) for (const [x, y] of pairs) add(x, y);
  else {
    const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
    const bins = Math.min(BINS, Math.max(2, Math.floor(sorted.length / 3)));
    sorted.forEach(([, y], i) => {
      add(Math.floor((i * bins) / sorted.length), y);
    });
  }
  let between = 0;
  for (const ys of groups.values()) {
    const m = ys.reduce((s, y) => s + y, 0) / ys.length;
    between += ys.length * (m - mean) ** 2;
  }
  // ε² rather than η²: less the share k groups explain by chance alone, so a parameter cut into
  // eight bins does not outrank a two-choice one on noise (small studies).
  const k = groups.size;
  if (k < 2 || pairs.length <= k) return between / total;
  const withinMean = (total - between) / (pairs.length - k);
  return Math.max(0, (between - (k - 1) * withinMean) / total);
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
