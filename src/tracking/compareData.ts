import type { ChartSeries, CurveStop, ParamRow, SummaryCell, SummaryRow, ToCompareView } from './protocol';
import type { RunCatalog } from './runCatalog';
import { SOURCE_NAMES, summarize, type MetricPoint, type RunRecord } from './runModel';
import { downsample, keyMetric, metricDirection, metricOf } from './runQuery';
import { ownValue } from './ownProps';

/** Points drawn per curve: enough for a 4K-wide chart; min/max per bucket keep spikes. */
const DRAW_POINTS = 4000;
const MAX_METRICS = 24;

/** Names for the lines in place of the runs' names (a model's versions: "v3 @champion"), one per run, with the panel's title. */
export interface CompareLines {
  readonly labels: readonly string[];
  readonly title: string;
}

/** What the Compare Runs page shows for these runs: their curves and their params side by side. */
export async function buildCompareData(catalog: RunCatalog, runs: readonly RunRecord[], focusMetric?: string, signal?: AbortSignal, labels?: readonly string[]): Promise<ToCompareView> {
  const counts = new Map<string, number>();
  for (const run of runs) for (const m of run.metrics) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  // Metrics most runs share come first: those are the ones worth overlaying.
  const metrics = [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b)).slice(0, MAX_METRICS);
  const key = focusMetric ?? keyMetric(runs);
  const selected = key ? [key] : metrics.slice(0, 2);
  const problems: string[] = [];
  const series: ChartSeries[] = [];
  const histories = new Map<string, MetricPoint[]>();
  await Promise.all(
    runs.flatMap((run, index) =>
      run.metrics
        .filter((m) => metrics.includes(m.key))
        .map(async (m) => {
          try {
            const points = await catalog.history(run, m.key, signal);
            histories.set(`${index}\u0000${m.key}`, points);
            const drawn = downsample(points, DRAW_POINTS);
            series.push({
              run: index,
              metric: m.key,
              steps: drawn.map((p) => p.step),
              times: drawn.map((p) => (p.time === undefined ? null : p.time / 1000)),
              values: drawn.map((p) => (Number.isFinite(p.value) ? p.value : null)),
              total: points.length,
              stop: curveStop(points),
            });
          } catch (error) {
            problems.push(`${run.name}: ${m.key}: ${(error as Error).message}`);
          }
        }),
    ),
  );
  series.sort((a, b) => a.run - b.run || a.metric.localeCompare(b.metric));
  const summary: SummaryRow[] = metrics.map((metric) => {
    const direction = metricDirection(metric) ?? null;
    const cells = runs.map((run, index) => {
      const points = histories.get(`${index}\u0000${metric}`);
      if (points) return summaryCell(points, direction);
      const listed = metricOf(run, metric); // its history could not be read: the listing's values
      if (!listed) return null;
      const best = direction === 'lower' ? listed.min : direction === 'higher' ? listed.max : undefined;
      return { last: Number.isFinite(listed.last) ? listed.last : null, lastStep: listed.lastStep, best: best ?? null, bestStep: null, stop: null };
    });
    return { metric, direction, cells, bestLast: bestOf(cells.map((c) => c?.last ?? null), direction), bestBest: bestOf(cells.map((c) => c?.best ?? null), direction) };
  });
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const params: ParamRow[] = paramKeys.map((k) => {
    const values = runs.map((r) => ownValue(r.params, k) ?? null); // a param named "constructor" in one run is not Object in another
    return { key: k, values, ...paramDifferences(values) };
  });
  return {
    type: 'data',
    runs: runs.map((r, i) => ({ key: r.key, name: labels?.[i] ?? r.name, experiment: r.experiment, status: r.status, source: SOURCE_NAMES[r.source] })),
    metrics,
    selected,
    series,
    summary,
    params,
    problems,
  };
}

/** The first NaN or infinite value of a curve (where a diverged run stops), with the last finite point before it. */
export function curveStop(points: readonly MetricPoint[]): CurveStop | null {
  const at = points.findIndex((p) => !Number.isFinite(p.value));
  if (at < 0) return null;
  const p = points[at]!;
  let before: MetricPoint | undefined;
  for (let i = at - 1; i >= 0 && !before; i--) if (Number.isFinite(points[i]!.value)) before = points[i];
  const seconds = (t: number | undefined): number | null => (t === undefined ? null : t / 1000);
  return {
    step: p.step,
    time: seconds(p.time),
    value: Number.isNaN(p.value) ? 'NaN' : p.value > 0 ? 'inf' : '-inf',
    lastFinite: before ? { step: before.step, time: seconds(before.time), value: before.value } : null,
  };
}

/** Last (at the highest step, as summarize() picks it) and best finite value of one run's curve. */
export function summaryCell(points: readonly MetricPoint[], direction: 'lower' | 'higher' | null): SummaryCell | null {
  const summary = summarize('', points);
  if (!summary) return null;
  let best: MetricPoint | undefined;
  if (direction) {
    for (const p of points) {
      if (!Number.isFinite(p.value)) continue;
      if (!best || (direction === 'lower' ? p.value < best.value : p.value > best.value)) best = p;
    }
  }
  return { last: Number.isFinite(summary.last) ? summary.last : null, lastStep: summary.lastStep, best: best?.value ?? null, bestStep: best?.step ?? null, stop: curveStop(points) };
}

function bestOf(values: readonly (number | null)[], direction: 'lower' | 'higher' | null): number | null {
  if (!direction) return null;
  let best: number | null = null;
  values.forEach((v, i) => {
    if (v === null) return;
    const current = best === null ? null : values[best]!;
    if (current === null || (direction === 'lower' ? v < current : v > current)) best = i;
  });
  // One run, or all equal: nothing stands out.
  return best !== null && values.filter((v) => v !== null).length > 1 && values.some((v) => v !== null && v !== values[best!]) ? best : null;
}

/**
 * Which cells of a param row to highlight: a run without the param is no difference; among the
 * runs that set it, those whose value is not the one most of them share (when no value is shared
 * by most, every set value differs).
 */
export function paramDifferences(values: readonly (string | null)[]): { differs: boolean; highlight: boolean[] } {
  const set = values.filter((v): v is string => v !== null);
  const tally = new Map<string, number>();
  for (const v of set) tally.set(v, (tally.get(v) ?? 0) + 1);
  if (tally.size < 2) return { differs: false, highlight: values.map(() => false) };
  const [common, count] = [...tally].sort((a, b) => b[1] - a[1])[0]!;
  const majority = count * 2 > set.length ? common : undefined;
  return { differs: true, highlight: values.map((v) => v !== null && v !== majority) };
}
