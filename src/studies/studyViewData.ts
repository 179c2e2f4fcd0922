import { basename } from 'node:path';
import type { StudyViewData, ViewDistribution } from './protocol';
import { bestTrial, completedTrials, countStates, paretoFront } from './studyAnalysis';
import type { StudyRecord, TrialRecord } from './studyModel';

// A study as the study view draws it (protocol.ts): every trial with its params by their
// external value, the distributions (their log flag sets the axes), importances and the front.
// The importances are the ones the reader worker fitted (importanceMemo.ts): building the view
// runs on the extension host on every poll and fits no forest.

export const IMPORTANCE_METHOD =
  'Importance: fANOVA, the estimator Optuna\u2019s get_param_importances uses by default: a random forest over the completed trials, and each parameter\u2019s share of the variance it explains on its own. As in Optuna 3.1, numbers are taken by their raw value (not the log of a log-scale one), so a log parameter whose good trials sit in one corner can read low. 256 trees (64 past 100 trials, fitted on at most 300). Parameters whose shares are close can swap places between runs of Optuna itself.';

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

export function buildStudyView(study: StudyRecord, file: string, problems: readonly string[], runOf: (trial: TrialRecord) => string | undefined, now = Date.now()): StudyViewData {
  const best = bestTrial(study);
  return {
    type: 'study',
    name: study.name,
    file: basename(file),
    directions: study.directions,
    sampler: study.sampler ?? null,
    counts: countStates(study),
    best: best?.number ?? null,
    pareto: study.directions.length > 1 ? paretoFront(study).map((t) => t.number) : [],
    params: Object.entries(study.distributions).map(([name, d]) => ({ name, distribution: d.type === 'categorical' ? { type: 'categorical', choices: d.choices } : ({ type: d.type, low: d.low, high: d.high, log: d.log } satisfies ViewDistribution) })),
    importances: study.importances?.values ?? [],
    importanceTrials: study.importances?.stale ? { fitted: study.importances.trials, completed: completedTrials(study).length } : null,
    importanceMethod: IMPORTANCE_METHOD,
    trials: study.trials.map((t) => ({
      number: t.number,
      state: t.state,
      values: t.values ? t.values.map(finite) : null,
      params: t.params,
      intermediate: t.intermediate.map(([s, v]) => [s, finite(v)] as const),
      seconds: t.start !== undefined ? ((t.complete ?? (t.state === 'running' ? now : t.start)) - t.start) / 1000 : null,
      run: runOf(t) ?? null,
    })),
    problems,
  };
}
