import { basename } from 'node:path';
import type { StudyViewData, ViewDistribution } from './protocol';
import { bestTrial, countStates, paramImportances, paretoFront } from './studyAnalysis';
import type { StudyRecord, TrialRecord } from './studyModel';

// A study as the study view draws it (protocol.ts): every trial with its params by their
// external value, the distributions (their log flag sets the axes), importances and the front.

export const IMPORTANCE_METHOD =
  'Importance: the share of the objective\u2019s variance each parameter explains on its own (ε², grouped by choice or in equal-count bins on its log or linear axis), over completed trials; Optuna\u2019s default fANOVA estimates the same main effect with a random forest.';

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
    importances: paramImportances(study),
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
