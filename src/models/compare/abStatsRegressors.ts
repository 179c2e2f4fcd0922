// The regressors' A/B (abStats.ts): MAE, RMSE and R² of each, with paired bootstrap intervals of B − A.
import type { ABOptions, Interval, RegressionAB, RegressionMetrics } from './abStats';
import { pairedBootstrap } from './abStatsBootstrap';
import { intervalVerdict, pickMetric } from './abStatsVerdict';

/** A regression metric as shown (in the verdict and the report's table). */
export const regressionNumber = (x: number): string => (Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));

function regressionMetrics(truth: Float64Array, pred: Float64Array, index?: Uint32Array): RegressionMetrics {
  const n = index ? index.length : truth.length;
  let abs = 0;
  let sq = 0;
  let mean = 0;
  for (let j = 0; j < n; j++) mean += truth[index ? index[j]! : j]!;
  mean /= n;
  let total = 0;
  for (let j = 0; j < n; j++) {
    const i = index ? index[j]! : j;
    const e = pred[i]! - truth[i]!;
    abs += Math.abs(e);
    sq += e * e;
    total += (truth[i]! - mean) ** 2;
  }
  return { mae: abs / n, rmse: Math.sqrt(sq / n), r2: total === 0 ? NaN : 1 - sq / total };
}

export function compareRegressors(truth: readonly number[], a: readonly number[], b: readonly number[], options: ABOptions = {}): RegressionAB {
  const n = truth.length;
  if (n === 0 || a.length !== n || b.length !== n) throw new Error(`the targets and both models' predictions must have the same number of rows (${n}, ${a.length}, ${b.length})`);
  const [nameA, nameB] = options.names ?? ['A', 'B'];
  const [t, pa, pb] = [Float64Array.from(truth), Float64Array.from(a), Float64Array.from(b)];
  const ma = regressionMetrics(t, pa);
  const mb = regressionMetrics(t, pb);
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 7;
  const [maeDiff, rmseDiff, r2Diff] = pairedBootstrap(
    n,
    (ix) => {
      const [ra, rb] = [regressionMetrics(t, pa, ix), regressionMetrics(t, pb, ix)];
      return [rb.mae - ra.mae, rb.rmse - ra.rmse, rb.r2 - ra.r2];
    },
    resamples,
    seed,
  ) as [Interval, Interval, Interval];
  const { metric, note } = pickMetric('regression', options.metric, undefined);
  // Lower error is better; higher R².
  const [key, diff] = metric === 'rmse' ? (['rmse', rmseDiff] as const) : metric === 'r2' ? (['r2', r2Diff] as const) : (['mae', maeDiff] as const);
  const verdict = intervalVerdict(metric, [nameA, nameB], ma[key], mb[key], diff, metric === 'r2', regressionNumber);
  return { task: 'regression', rows: n, a: ma, b: mb, maeDiff, rmseDiff, r2Diff, metric, metricNote: note, verdict };
}
