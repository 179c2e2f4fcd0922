import { bestTrial, countStates, paretoFront } from './studyAnalysis';
import type { ParamValue, StudyRecord, TrialRecord } from './studyModel';

// Numbers and one-line descriptions of studies, shared by the tree, the CLI and the agent's text.

export function formatValue(v: number | undefined): string {
  if (v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

export function paramText(v: ParamValue): string {
  return typeof v === 'number' ? formatValue(v) : String(v);
}

/** The study's line in the tree: direction and best value (or the Pareto front's size), trials by state. */
export function studyDescription(study: StudyRecord): string {
  const c = countStates(study);
  const states = [`${c.complete} complete`, c.running ? `${c.running} running` : '', c.pruned ? `${c.pruned} pruned` : '', c.fail ? `${c.fail} failed` : ''].filter(Boolean).join(', ');
  const best = bestTrial(study);
  const head = study.directions.length > 1 ? `${study.directions.join('/')} · Pareto ${paretoFront(study).length}` : `${study.directions[0] === 'maximize' ? '↑' : '↓'} best ${best ? `${formatValue(best.values![0])} (#${best.number})` : '—'}`;
  return `${head} · ${states}`;
}

/** Trials listed under a study in the tree; the study view shows them all. */
export const TREE_TRIALS = 300;

/** The trials a study lists in the tree, newest first so running ones are on top, and how many more there are. */
export function treeTrials(study: StudyRecord): { shown: TrialRecord[]; more: number } {
  const trials = [...study.trials].reverse();
  return { shown: trials.slice(0, TREE_TRIALS), more: Math.max(0, trials.length - TREE_TRIALS) };
}

/** A trial's line in the tree: its state unless complete, its value(s) (a running trial's last report), its params. */
export function trialDescription(t: TrialRecord): string {
  const value = t.values ? t.values.map(formatValue).join(', ') : t.state === 'running' && t.intermediate.length ? `at step ${t.intermediate.at(-1)![0]}: ${formatValue(t.intermediate.at(-1)![1])}` : '';
  return [t.state === 'complete' ? '' : t.state, value, trialParams(t)].filter(Boolean).join(' · ');
}

export function trialParams(t: TrialRecord): string {
  return Object.entries(t.params).map(([k, v]) => `${k}=${paramText(v)}`).join(', ');
}
