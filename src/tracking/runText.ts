import { formatDuration, formatMetric, keyMetric, metricOf, type RunComparison } from './runQuery';
import { SOURCE_NAMES, type RunRecord } from './runModel';

// Plain-text renderings of runs, for the CLI and for the agent (which reads text, not trees).

export function runLine(run: RunRecord, metrics: readonly string[]): string {
  const duration = run.startTime && run.endTime ? `, ${formatDuration(run.endTime - run.startTime)}` : '';
  const values = metrics.map((k) => {
    const m = metricOf(run, k);
    return m ? `${k}=${formatMetric(m.last)}@${m.lastStep}` : undefined;
  });
  const shown = values.filter(Boolean).join(' ');
  const flags = [run.deleted ? 'deleted' : '', run.problems.length > 0 ? `${run.problems.length} problem(s)` : ''].filter(Boolean).join(', ');
  return `${run.name} [${run.status}${duration}] ${SOURCE_NAMES[run.source]}/${run.experiment} id=${run.runId}${shown ? ` ${shown}` : ''}${flags ? ` (${flags})` : ''}`;
}

/** The metrics worth a column: the key metric first, then the most common others, at most `max`. */
export function shownMetrics(runs: readonly RunRecord[], max = 3, first?: string): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) for (const m of run.metrics) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  const key = first ?? keyMetric(runs);
  const rest = [...counts.keys()].filter((k) => k !== key).sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b));
  return [...(key ? [key] : []), ...rest].slice(0, max);
}

export function comparisonText(c: RunComparison): string {
  const names = c.runs.map((r, i) => `#${i + 1} ${r.name} (${r.experiment}, ${r.status})`);
  const lines = ['Runs: ' + names.join('; ')];
  if (c.differentParams.length > 0) {
    lines.push('Params that differ:');
    for (const p of c.differentParams) lines.push(`  ${p.key}: ${p.values.map((v, i) => `#${i + 1}=${v ?? '(unset)'}`).join(' ')}`);
  } else lines.push('No params differ.');
  if (c.sameParams.length > 0) lines.push(`Same in all: ${c.sameParams.map((p) => `${p.key}=${p.value}`).join(', ')}`);
  lines.push('Metrics (last@step [min..max]; * = best):');
  for (const m of c.metrics) {
    const cells = m.values.map((v, i) => {
      if (!v) return `#${i + 1}=–`;
      const range = v.min !== undefined && v.max !== undefined ? ` [${formatMetric(v.min)}..${formatMetric(v.max)}]` : '';
      return `#${i + 1}=${formatMetric(v.last)}@${v.lastStep}${range}${m.best === i ? '*' : ''}`;
    });
    lines.push(`  ${m.key}: ${cells.join(' ')}`);
  }
  return lines.join('\n');
}
