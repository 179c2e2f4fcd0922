import type { MetricPoint, MetricSummary, RunRecord, RunStatus } from './runModel';
import { ownValue } from './ownProps';
import { matchesQuery, parseRunQuery, type MetricLookup, type RunQuery } from './runFilter';

// Filtering, sorting, comparing and downsampling of runs: shared by the tree, the CLI and the
// agent's tools, so "best run by val_loss" means the same thing everywhere.

export interface RunFilter {
  /** The filter people type (runFilter.ts): words, comparisons (val_loss<0.4), status: terms. */
  readonly text?: string;
  /** `text` already parsed (the tree parses once, not per source). */
  readonly query?: RunQuery;
  readonly statuses?: readonly RunStatus[];
  readonly includeDeleted?: boolean;
  /** Fuller metric summaries than the listing's (min and max read from history), where the caller has them. */
  readonly metric?: MetricLookup;
}

/** The runs the filter keeps. Throws RunQueryError when `text` cannot be read. */
export function filterRuns(runs: readonly RunRecord[], filter: RunFilter): RunRecord[] {
  const query = filter.query ?? (filter.text ? parseRunQuery(filter.text) : undefined);
  return runs.filter((run) => {
    if (run.deleted && !filter.includeDeleted) return false;
    if (filter.statuses?.length && !filter.statuses.includes(run.status)) return false;
    return query === undefined || matchesQuery(run, query, filter.metric);
  });
}

export function metricOf(run: RunRecord, key: string): MetricSummary | undefined {
  return run.metrics.find((m) => m.key === key);
}

const LOWER_IS_BETTER = /loss|err|error|mse|mae|rmse|perplexity|ppl|wer|cer|nll|distance|latency|time/i;
const HIGHER_IS_BETTER = /acc|auc|f1|precision|recall|map|bleu|rouge|score|iou|dice|reward|return|top\d/i;

/** Metric names that say lower is better. */
export function lowerIsBetter(key: string): boolean {
  return LOWER_IS_BETTER.test(key) && !HIGHER_IS_BETTER.test(key);
}

/**
 * Which way a metric improves, from its name: losses, errors, perplexity and times go down;
 * accuracy, F1, AUC, BLEU, scores and rewards go up; anything else (epoch, lr, grad_norm) has no
 * direction, so no value of it is "best".
 */
export function metricDirection(key: string): 'lower' | 'higher' | undefined {
  if (HIGHER_IS_BETTER.test(key)) return 'higher';
  if (LOWER_IS_BETTER.test(key)) return 'lower';
  return undefined;
}

/**
 * Runs sorted by a metric's last value, best first (ascending for losses, descending otherwise,
 * unless `order` says); runs without it, or with NaN, go last. Without a metric: newest first.
 */
export function sortRuns(runs: readonly RunRecord[], metric?: string, order?: 'asc' | 'desc'): RunRecord[] {
  if (!metric) return [...runs].sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0) || a.name.localeCompare(b.name));
  const ascending = order ? order === 'asc' : lowerIsBetter(metric);
  const value = (run: RunRecord): number | undefined => {
    const v = metricOf(run, metric)?.last;
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  return [...runs].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === undefined || vb === undefined) return va === undefined ? (vb === undefined ? 0 : 1) : -1;
    return ascending ? va - vb : vb - va;
  });
}

/**
 * Headline metrics in the order an ML engineer reads a run by: a task metric logged on purpose
 * first (ROC AUC / AUC, F1, average precision / PR AUC, R²), then the regression errors (RMSE,
 * MAE, MSE), then the loss (what training optimises and checkpoints are picked by), then accuracy
 * (threshold-bound), then perplexity. A name matches by its words ("val_roc_auc", "eval/f1_macro").
 */
const HEADLINE: readonly RegExp[] = [
  /(?<!pr_?)(^|[^a-z])(roc_?)?auc(?!_?pr)(_?roc)?($|[^a-z])/i,
  /(^|[^a-z])f1/i,
  /average_precision|(^|[^a-z])ap($|[^a-z])|pr_?auc|(^|[^a-z])map($|[^a-z])/i,
  /(^|[^a-z])r2($|[^a-z])|r_squared/i,
  /(^|[^a-z])rmse($|[^a-z])/i,
  /(^|[^a-z])mae($|[^a-z])/i,
  /(^|[^a-z])mse($|[^a-z])/i,
  /loss/i,
  /(^|[^a-z])acc(uracy)?($|[^a-z])/i,
  /perplexity|(^|[^a-z])ppl($|[^a-z])/i,
];
/** Held-out values (or unmarked ones, as a script's roc_auc on its test split) are what runs are compared by; training-split values last. */
const HELD_OUT = /(^|[^a-z])(val|valid|validation|test|eval|holdout|dev)([^a-z]|$)/i;
const TRAINING = /(^|[^a-z])train(ing)?([^a-z]|$)/i;

/**
 * The metric a person would sort these runs by: among the metrics the most runs log (a metric
 * some runs lack sorts them last, so it is no key), one not named for the training split before one
 * that is, then the first of HEADLINE (so a classifier's roc_auc, not the
 * alphabetically first average_precision), then by name.
 */
export function keyMetric(runs: readonly RunRecord[]): string | undefined {
  const counts = new Map<string, number>();
  for (const run of runs) for (const m of run.metrics) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  const most = Math.max(0, ...counts.values());
  const split = (k: string): number => (TRAINING.test(k) && !HELD_OUT.test(k) ? 1 : 0);
  const headline = (k: string): number => {
    const i = HEADLINE.findIndex((pattern) => pattern.test(k));
    return i < 0 ? HEADLINE.length : i;
  };
  const rank = (k: string): number[] => [(counts.get(k) ?? 0) < most ? 1 : 0, headline(k) === HEADLINE.length ? 1 : 0, split(k), headline(k)];
  const compare = (a: string, b: string): number => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra.map((v, i) => v - rb[i]!).find((d) => d !== 0) ?? a.localeCompare(b);
  };
  return [...counts.keys()].sort(compare)[0];
}

export interface RunComparison {
  readonly runs: readonly { key: string; name: string; experiment: string; status: RunStatus }[];
  /** Params whose values differ between the runs (absent values as undefined). */
  readonly differentParams: { key: string; values: (string | undefined)[] }[];
  readonly sameParams: { key: string; value: string }[];
  readonly metrics: { key: string; values: (MetricSummary | undefined)[]; best: number | undefined }[];
}

export function compareRuns(runs: readonly RunRecord[]): RunComparison {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const differentParams: RunComparison['differentParams'] = [];
  const sameParams: RunComparison['sameParams'] = [];
  for (const key of paramKeys) {
    const values = runs.map((r) => ownValue(r.params, key)); // a param named "constructor" in one run is not Object in another
    if (values.every((v) => v === values[0]) && values[0] !== undefined) sameParams.push({ key, value: values[0] });
    else differentParams.push({ key, values });
  }
  const metricKeys = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)))].sort();
  const metrics = metricKeys.map((key) => {
    const values = runs.map((r) => metricOf(r, key));
    const direction = metricDirection(key);
    const lower = direction === 'lower';
    let best: number | undefined;
    values.forEach((v, i) => {
      if (direction === undefined || v === undefined || Number.isNaN(v.last)) return;
      const current = best === undefined ? undefined : values[best]!.last;
      if (current === undefined || (lower ? v.last < current : v.last > current)) best = i;
    });
    return { key, values, best };
  });
  return { runs: runs.map((r) => ({ key: r.key, name: r.name, experiment: r.experiment, status: r.status })), differentParams, sameParams, metrics };
}

/**
 * At most `budget` points that keep the shape: the first and last points, and each bucket's
 * minimum and maximum (a spike or a divergence survives; averaging would hide it).
 */
export function downsample(points: readonly MetricPoint[], budget: number): MetricPoint[] {
  if (points.length <= budget) return [...points];
  if (budget < 4) return points.slice(0, Math.max(budget, 0));
  const inner = points.slice(1, -1);
  // Up to three points a bucket (min, max, a NaN): a NaN-free curve uses two.
  const buckets = Math.floor((budget - 2) / 3);
  const out: MetricPoint[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * inner.length) / buckets);
    const to = Math.floor(((b + 1) * inner.length) / buckets);
    let lo: number | undefined;
    let hi: number | undefined;
    let nan: number | undefined;
    for (let i = from; i < to; i++) {
      const v = inner[i]!.value;
      if (Number.isNaN(v)) {
        nan ??= i; // keep a NaN visible: it is often the divergence itself
        continue;
      }
      if (lo === undefined || v < inner[lo]!.value) lo = i;
      if (hi === undefined || v > inner[hi]!.value) hi = i;
    }
    for (const i of [...new Set([lo, hi, nan].filter((x) => x !== undefined))].sort((x, y) => x - y)) out.push(inner[i]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

/** "1.23e-4", "0.8731", "12,345": short and readable in a tree and a table. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined) return '–';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Number(value.toPrecision(4)).toString();
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}
