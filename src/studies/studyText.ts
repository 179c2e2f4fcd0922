import { basename } from 'node:path';
import type { RegisteredModelRecord, RegistrySnapshot } from '../tracking/registry/registryModel';
import type { RunRecord } from '../tracking/runModel';
import { bestRegion, completedTrials, countStates, paretoFront, rankedTrials } from './studyAnalysis';
import { formatValue as fmt, paramText as param } from './studyLines';
import type { StudyFileSnapshot, StudyRecord, TrialRecord } from './studyModel';

// Studies and registered models as text, for the agent's tools and `ml-engineer studies` /
// `ml-engineer registry`: short lines, numbers rounded, within a character budget.

const params = (t: TrialRecord): string => Object.entries(t.params).map(([k, v]) => `${k}=${param(v)}`).join(', ');

export function studyLine(study: StudyRecord, file: string): string {
  const c = countStates(study);
  const best = study.directions.length === 1 ? rankedTrials(study)[0] : undefined;
  const head = study.directions.length > 1 ? `${study.directions.join('/')}, Pareto front ${paretoFront(study).length} trials` : `${study.directions[0]}, best ${best ? `${fmt(best.values![0])} (trial ${best.number})` : '—'}`;
  return `${study.name} [${basename(file)}]: ${study.trials.length} trials (${c.complete} complete, ${c.running} running, ${c.pruned} pruned, ${c.fail} failed); ${head}`;
}

export function studiesText(files: readonly StudyFileSnapshot[]): string {
  if (files.length === 0) return 'No Optuna studies found: no *.db/*.sqlite3 file with Optuna\'s schema and no JournalFileStorage .log in the workspace (add others to mlEngineer.tracking.studyPaths).';
  const lines: string[] = [];
  for (const f of files) {
    for (const p of f.problems) lines.push(`${basename(f.path)}: problem: ${p}`);
    for (const s of f.studies) lines.push(studyLine(s, f.path));
  }
  return lines.join('\n');
}

/** A study for the agent: best trials, importances, the region of the best trials, within `budget` characters. */
export function studySummaryText(study: StudyRecord, file: string, budget = 4000, top = 5): string {
  const parts: string[] = [studyLine(study, file)];
  const dists = Object.entries(study.distributions).map(([k, d]) => (d.type === 'categorical' ? `${k} ∈ {${d.choices.map(String).join(', ')}}` : `${k} ${d.type} [${fmt(d.low)}, ${fmt(d.high)}]${d.log ? ' log' : ''}`));
  if (dists.length) parts.push(`Search space: ${dists.join('; ')}`);
  const best = study.directions.length === 1 ? rankedTrials(study).slice(0, top) : paretoFront(study).slice(0, top);
  if (best.length) parts.push(`${study.directions.length === 1 ? `Best ${best.length} trials` : 'Pareto-optimal trials'}:\n${best.map((t) => `  #${t.number}: ${t.values!.map(fmt).join(', ')} | ${params(t)}`).join('\n')}`);
  // Fitted by the reader worker (importanceMemo.ts), never here: this runs on the extension host.
  const imp = study.importances;
  if (imp?.values.length) {
    const on = imp.stale ? `; fitted on ${imp.trials} of ${completedTrials(study).length} completed trials` : '';
    parts.push(`Importances (fANOVA, Optuna's default estimator; close shares can swap between runs${on}): ${imp.values.map((i) => `${i.name} ${i.importance.toFixed(2)}`).join(', ')}`);
  }
  const region = bestRegion(study);
  if (region.regions.length) {
    parts.push(
      `Region of the best ${region.trials} trials: ${region.regions.map((r) => ('choices' in r ? `${r.name} ∈ {${r.choices.map(String).join(', ')}}` : `${r.name} ${fmt(r.low)}..${fmt(r.high)}${r.log ? ' (log)' : ''}`)).join('; ')}`,
    );
  }
  const running = study.trials.filter((t) => t.state === 'running');
  if (running.length) parts.push(`Running: ${running.slice(0, 10).map((t) => `#${t.number}${t.intermediate.length ? ` (step ${t.intermediate.at(-1)![0]}: ${fmt(t.intermediate.at(-1)![1])})` : ''}`).join(', ')}`);
  const failed = study.trials.filter((t) => t.state === 'fail').length;
  if (failed) parts.push(`${failed} failed trial(s).`);
  let text = parts.join('\n');
  if (text.length > budget) text = `${text.slice(0, budget - 20)}\n… (truncated)`;
  return text;
}

export function registryText(registries: readonly RegistrySnapshot[]): string {
  const lines: string[] = [];
  for (const r of registries) {
    for (const p of r.problems) lines.push(`${basename(r.store)}: problem: ${p}`);
    for (const m of r.models) {
      const aliases = Object.entries(m.aliases).map(([a, v]) => `@${a}=v${v}`).join(' ');
      lines.push(`${m.name} [${basename(r.store)}]: ${m.versions.length} version(s)${aliases ? `, ${aliases}` : ''}${m.versions[0] ? `, latest v${m.versions[0].version}` : ''}${m.problems.length ? ` (problems: ${m.problems.join('; ')})` : ''}`);
    }
  }
  return lines.length ? lines.join('\n') : 'No registered models found (MLflow FileStore mlruns/models/ or the registry tables of mlflow.db).';
}

export function versionsText(model: RegisteredModelRecord, runOf: (runId: string) => RunRecord | undefined, maxMetrics = 6): string {
  const lines = [`${model.name}: ${model.versions.length} version(s)${model.description ? ` — ${model.description}` : ''}`];
  for (const v of model.versions) {
    const run = v.runId ? runOf(v.runId) : undefined;
    const runText = v.runId ? (run ? `run ${run.name} (${run.runId})${run.deleted ? ' DELETED' : ''}; ${run.metrics.slice(0, maxMetrics).map((m) => `${m.key}=${fmt(m.last)}`).join(', ')}` : `run ${v.runId} not found (deleted?)`) : 'no run';
    lines.push(`  v${v.version}${v.aliases.length ? ` ${v.aliases.map((a) => `@${a}`).join(' ')}` : ''}${v.stage && v.stage !== 'None' ? ` [${v.stage}]` : ''}${v.status ? ` ${v.status}` : ''}: ${runText}${v.source ? `; source ${v.source}` : ''}${v.problems.length ? `; problems: ${v.problems.join('; ')}` : ''}`);
  }
  return lines.join('\n');
}
