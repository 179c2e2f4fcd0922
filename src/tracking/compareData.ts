import type { ChartSeries, ParamRow, ToCompareView } from './protocol';
import type { RunCatalog } from './runCatalog';
import { SOURCE_NAMES, type RunRecord } from './runModel';
import { downsample, keyMetric } from './runQuery';
import { ownValue } from './ownProps';

/** Points drawn per curve: enough for a 4K-wide chart; min/max per bucket keep spikes. */
const DRAW_POINTS = 4000;
const MAX_METRICS = 24;

/** What the Compare Runs page shows for these runs: their curves and their params side by side. */
export async function buildCompareData(catalog: RunCatalog, runs: readonly RunRecord[], focusMetric?: string, signal?: AbortSignal): Promise<ToCompareView> {
  const counts = new Map<string, number>();
  for (const run of runs) for (const m of run.metrics) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  // Metrics most runs share come first: those are the ones worth overlaying.
  const metrics = [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b)).slice(0, MAX_METRICS);
  const key = focusMetric ?? keyMetric(runs);
  const selected = key ? [key] : metrics.slice(0, 2);
  const problems: string[] = [];
  const series: ChartSeries[] = [];
  await Promise.all(
    runs.flatMap((run, index) =>
      run.metrics
        .filter((m) => metrics.includes(m.key))
        .map(async (m) => {
          try {
            const points = await catalog.history(run, m.key, signal);
            const drawn = downsample(points, DRAW_POINTS);
            series.push({
              run: index,
              metric: m.key,
              steps: drawn.map((p) => p.step),
              times: drawn.map((p) => (p.time === undefined ? null : p.time / 1000)),
              values: drawn.map((p) => (Number.isFinite(p.value) ? p.value : null)),
              total: points.length,
            });
          } catch (error) {
            problems.push(`${run.name}: ${m.key}: ${(error as Error).message}`);
          }
        }),
    ),
  );
  series.sort((a, b) => a.run - b.run || a.metric.localeCompare(b.metric));
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const params: ParamRow[] = paramKeys.map((k) => {
    const values = runs.map((r) => ownValue(r.params, k) ?? null); // a param named "constructor" in one run is not Object in another
    return { key: k, values, differs: values.some((v) => v !== values[0]) };
  });
  return {
    type: 'data',
    runs: runs.map((r) => ({ key: r.key, name: r.name, experiment: r.experiment, status: r.status, source: SOURCE_NAMES[r.source] })),
    metrics,
    selected,
    series,
    params,
    problems,
  };
}
