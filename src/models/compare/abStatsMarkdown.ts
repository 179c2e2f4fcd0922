// The A/B section of the comparison report (abStats.ts results as Markdown).
import { formatMs } from '../runtime/benchmarkReport';
import type { ABResult, Interval, ScoreMetric } from './abStats';
import { regressionNumber } from './abStatsRegressors';

/** The A/B section of the comparison report. */
export function abMarkdown(r: ABResult, names: readonly [string, string], dataset: string, target: string): string {
  const [a, b] = names;
  const ci = (i: Interval, scale = 1, digits = 3): string => `[${(i.low * scale).toFixed(digits)}, ${(i.high * scale).toFixed(digits)}]`;
  const lines = [`## On labelled data: ${dataset} (target ${target}, ${r.rows} rows)`, '', `**${r.verdict}**`, '', `The verdict is on ${r.metricNote}; the other metrics are in the table.`, ''];
  const scoreRow = (label: string, m: ScoreMetric): string => `| ${label} | ${m.a.toFixed(4)} ${ci(m.aInterval, 1, 4)} | ${m.b.toFixed(4)} ${ci(m.bInterval, 1, 4)} | ${ci(m.diff, 1, 4)} |`;
  const l = r.latency;
  const latencyRows = l
    ? [`| latency p50, ms (one-row call) | ${formatMs(l.a.p50Ms)} | ${formatMs(l.b.p50Ms)} | ${ci(l.p50Diff, 1, 4)} ms |`, `| latency p95, ms (one-row call) | ${formatMs(l.a.p95Ms)} | ${formatMs(l.b.p95Ms)} | |`]
    : [];
  if (r.task === 'classification') {
    lines.push(
      `| metric | ${a} | ${b} | B − A, 95% CI (bootstrap) |`,
      '| --- | ---: | ---: | --- |',
      `| accuracy | ${(r.a.accuracy * 100).toFixed(2)}% | ${(r.b.accuracy * 100).toFixed(2)}% | ${ci(r.accuracyDiff, 100, 2)} points |`,
      `| F1 (macro) | ${r.a.f1Macro.toFixed(4)} | ${r.b.f1Macro.toFixed(4)} | ${ci(r.f1Diff, 1, 4)} |`,
      ...(typeof r.auc === 'string' ? [] : [scoreRow(`ROC AUC (${r.auc.positive})`, r.auc)]),
      ...(typeof r.auc === 'string' || !r.auc.averagePrecision ? [] : [scoreRow(`average precision (${r.auc.positive})`, r.auc.averagePrecision)]),
      ...latencyRows,
      '',
      ...(typeof r.auc === 'string' ? [`${r.auc}.`, ''] : []),
      `Agreement ${(r.agreement * 100).toFixed(1)}%. Only ${a} right: ${r.onlyA} rows; only ${b} right: ${r.onlyB} rows; McNemar's exact test p = ${r.mcnemarP.toPrecision(3)}.`,
    );
  } else {
    lines.push(
      `| metric | ${a} | ${b} | B − A, 95% CI (bootstrap) |`,
      '| --- | ---: | ---: | --- |',
      `| MAE | ${regressionNumber(r.a.mae)} | ${regressionNumber(r.b.mae)} | ${ci(r.maeDiff, 1, 4)} |`,
      `| RMSE | ${regressionNumber(r.a.rmse)} | ${regressionNumber(r.b.rmse)} | ${ci(r.rmseDiff, 1, 4)} |`,
      `| R² | ${r.a.r2.toFixed(4)} | ${r.b.r2.toFixed(4)} | ${ci(r.r2Diff, 1, 4)} |`,
      ...latencyRows,
    );
  }
  if (r.latency) lines.push('', r.latency.sentence);
  lines.push('');
  return lines.join('\n');
}
