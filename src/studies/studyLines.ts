import { bestTrial, countStates, paretoFront } from './studyAnalysis';
import type { ParamValue, StudyRecord } from './studyModel';

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
