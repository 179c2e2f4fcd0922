// A/B comparison of two models on the same labelled rows: the metrics of each, how sure the
// difference is, and one sentence saying which is better. Classifiers: accuracy and macro F1
// (sklearn's f1_score(average="macro")), agreement, and McNemar's exact test on the rows where
// exactly one of them is right (statsmodels' mcnemar(exact=True): two-sided binomial test of
// min(b, c) in b + c at p = 0.5, equal to scipy.stats.binomtest(b, b + c).pvalue). Regressors: MAE,
// RMSE, R². For every metric a paired bootstrap 95% interval of B − A (the same resampled rows
// for both models, percentile method, seeded so a report reads the same twice). Binary classifiers
// with scores (predict_proba) also get ROC AUC (sklearn's roc_auc_score: ties count half) and
// average precision (sklearn's average_precision_score), more than two classes the one-vs-rest
// macro ROC AUC (roc_auc_score(multi_class="ovr", average="macro")), each model's with its
// bootstrap interval and B − A's, from the same resamples. The verdict is on one metric (ABMetric):
// the one asked for, else defaultMetric's pick; the others stay in the table.

import { formatMs } from '../runtime/benchmarkReport';

export type Label = string | number;

export interface ClassMetrics {
  readonly accuracy: number;
  readonly f1Macro: number;
}

export interface RegressionMetrics {
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number;
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** What the verdict is about (the tool's and CLI's `metric`, as scikit-learn names the metrics). */
export const CLASSIFIER_METRICS = ['roc_auc', 'average_precision', 'accuracy', 'f1_macro'] as const;
export const REGRESSOR_METRICS = ['mae', 'rmse', 'r2'] as const;
export const AB_METRICS = [...CLASSIFIER_METRICS, ...REGRESSOR_METRICS] as const;
export type ABMetric = (typeof AB_METRICS)[number];
export const isABMetric = (m: string): m is ABMetric => (AB_METRICS as readonly string[]).includes(m);

/**
 * Below this share of positive rows the default verdict of two classes is on average precision:
 * there ROC AUC is carried by the many easy negatives and hides how the few positives are ranked.
 * Above it ROC AUC, whose 0.5 means chance whatever the share (AP's floor is the share itself).
 */
export const RARE_POSITIVE = 0.1;

const METRIC_NAMES: Record<ABMetric, string> = { roc_auc: 'ROC AUC', average_precision: 'average precision', accuracy: 'accuracy', f1_macro: 'macro F1', mae: 'MAE', rmse: 'RMSE', r2: 'R²' };

export interface ClassificationAB {
  readonly task: 'classification';
  readonly rows: number;
  readonly a: ClassMetrics;
  readonly b: ClassMetrics;
  readonly agreement: number;
  /** Rows A got right and B wrong, and the other way round. */
  readonly onlyA: number;
  readonly onlyB: number;
  readonly mcnemarP: number;
  /** Bootstrap 95% intervals of B − A. */
  readonly accuracyDiff: Interval;
  readonly f1Diff: Interval;
  /** ROC AUC where both models gave scores; else why not, in words. */
  readonly auc: RocAuc | string;
  /** The metric the verdict is on, and why that one (asked for, the default, or why not the one asked). */
  readonly metric: ABMetric;
  readonly metricNote: string;
  readonly verdict: string;
  /** Each model's one-row latency (abLatency.ts), where it was measured. */
  readonly latency?: LatencyAB;
}

/** A score-based metric of both models, each with its bootstrap interval. */
export interface ScoreMetric {
  readonly a: number;
  readonly b: number;
  readonly aInterval: Interval;
  readonly bInterval: Interval;
  /** Bootstrap 95% interval of B − A. */
  readonly diff: Interval;
}

export interface RocAuc extends ScoreMetric {
  /** The class whose score is ranked (sklearn's classes_[1]); more than two classes: 'one-vs-rest macro'. */
  readonly positive: string;
  /** More than two classes: those averaged over (the target's). */
  readonly classes?: readonly string[];
  /** Two classes: average precision of `positive`, and its share of the rows. */
  readonly averagePrecision?: ScoreMetric;
  readonly positiveShare?: number;
}

/**
 * Each model's scores, where it has them. Two classes: the score of `positive`, one per row. More
 * than two: each row's probabilities in the order of `classes` (sklearn's classes_), row-major.
 */
export type ClassScores =
  | { readonly positive: string; readonly classes?: undefined; readonly a?: readonly number[]; readonly b?: readonly number[] }
  | { readonly positive?: undefined; readonly classes: readonly string[]; readonly a?: readonly number[]; readonly b?: readonly number[] };

/** One arm's one-row latency (abLatency.ts). */
export interface ArmLatency {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

export interface LatencyAB {
  readonly a: ArmLatency;
  readonly b: ArmLatency;
  /** Bootstrap 95% interval of p50(B) − p50(A), ms. */
  readonly p50Diff: Interval;
  readonly inTurns: boolean;
  /** One sentence; says so when the interval includes 0. */
  readonly sentence: string;
}

export interface RegressionAB {
  readonly task: 'regression';
  readonly rows: number;
  readonly a: RegressionMetrics;
  readonly b: RegressionMetrics;
  readonly maeDiff: Interval;
  readonly rmseDiff: Interval;
  readonly r2Diff: Interval;
  readonly metric: ABMetric;
  readonly metricNote: string;
  readonly verdict: string;
  readonly latency?: LatencyAB;
}

export type ABResult = ClassificationAB | RegressionAB;

export interface ABOptions {
  readonly resamples?: number;
  readonly seed?: number;
  readonly names?: readonly [string, string];
  readonly scores?: ClassScores;
  /** The verdict's metric; default: defaultMetric's pick. */
  readonly metric?: ABMetric;
}

/** Mulberry32: small, seeded, uniform enough for resampling. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** McNemar's exact two-sided p: 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, 1/2), at most 1. */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // log C(n, i) built term by term (linear in k: recomputing each from scratch was quadratic, seconds
  // for a 200k-row A/B), summed in log space from the largest term (the last: k ≤ n/2) down, so
  // large n neither under- nor overflows.
  const terms = new Float64Array(k + 1);
  let logChoose = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    terms[i] = logChoose - n * Math.LN2;
  }
  const max = terms[k]!;
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(terms[i]! - max);
  return Math.min(1, 2 * Math.exp(max) * sum);
}

/** Each label as a small integer (the same label, the same code in truth and both predictions). */
function labelCodes(...lists: (readonly Label[])[]): { codes: Int32Array[]; count: number } {
  const code = new Map<Label, number>();
  const codes = lists.map((list) => Int32Array.from(list, (l) => {
    let c = code.get(l);
    if (c === undefined) code.set(l, (c = code.size));
    return c;
  }));
  return { codes, count: code.size };
}

/** Accuracy and macro F1 over label codes (labelCodes): counts in typed arrays, so a resample of 200k rows costs milliseconds. */
function classMetrics(truth: Int32Array, pred: Int32Array, classes: number, index?: Uint32Array): ClassMetrics {
  const n = index ? index.length : truth.length;
  const tp = new Float64Array(classes);
  const fp = new Float64Array(classes);
  const fn = new Float64Array(classes);
  let right = 0;
  for (let j = 0; j < n; j++) {
    const i = index ? index[j]! : j;
    const t = truth[i]!;
    const p = pred[i]!;
    if (t === p) {
      right++;
      tp[t]!++;
    } else {
      fp[p]!++;
      fn[t]!++;
    }
  }
  // sklearn's macro F1 over the labels present in truth or prediction (tp + fp + fn > 0); 0 where a class has no TP.
  let f1 = 0;
  let labels = 0;
  for (let l = 0; l < classes; l++) {
    const denom = 2 * tp[l]! + fp[l]! + fn[l]!;
    if (denom === 0) continue;
    labels++;
    f1 += (2 * tp[l]!) / denom;
  }
  return { accuracy: n ? right / n : NaN, f1Macro: labels ? f1 / labels : NaN };
}

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

/**
 * Percentile intervals (2.5 %, 97.5 %) of each of `stats`' values over `resamples` paired resamples
 * of n rows: one loop, the same resampled rows for every statistic.
 */
export function pairedBootstrap(n: number, stats: (index: Uint32Array) => readonly number[], resamples: number, seed: number): Interval[] {
  const rnd = random(seed);
  const values: number[][] = [];
  const index = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let j = 0; j < n; j++) index[j] = Math.floor(rnd() * n);
    stats(index).forEach((v, k) => (values[k] ??= []).push(v));
  }
  return values.map((list) => {
    // NaN (a resample with one class only has no AUC) is left out, as NaN sorts nowhere.
    const sorted = list.filter((v) => !Number.isNaN(v)).sort((x, y) => x - y);
    // numpy.percentile's default (linear) at 2.5 and 97.5.
    const at = (q: number): number => {
      const pos = (q / 100) * (sorted.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(sorted.length - 1, lo + 1);
      return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
    };
    return sorted.length ? { low: at(2.5), high: at(97.5) } : { low: NaN, high: NaN };
  });
}

/** One model's rows ranked by score, kept for every resample: flags in rank order, so each AUC is one pass. */
interface Ranked {
  /** The rows by ascending score. */
  readonly order: Uint32Array;
  /** 1 where the row at this rank is of the positive class. */
  readonly positive: Uint8Array;
  /** 1 at the last rank of each run of tied scores. */
  readonly groupEnd: Uint8Array;
}

function ranked(positive: Uint8Array, scores: Float64Array): Ranked {
  const n = scores.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((x, y) => scores[x]! - scores[y]!);
  const flags = new Uint8Array(n);
  const groupEnd = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    flags[j] = positive[order[j]!]!;
    groupEnd[j] = j === n - 1 || scores[order[j + 1]!] !== scores[order[j]!] ? 1 : 0;
  }
  return { order, positive: flags, groupEnd };
}

/**
 * ROC AUC of the ranked rows, each row counted `weight` times (a bootstrap resample's
 * multiplicities; 1 without): the Mann-Whitney U, tied scores counting half, as sklearn's
 * roc_auc_score. NaN with one class only.
 */
function rocAuc(r: Ranked, weight?: Uint32Array): number {
  // aucAndAp's pass; with no positives counted its average precision is NaN and left aside.
  return aucAndAp(r, 0, r.order.length, weight)[0];
}

/**
 * ROC AUC and average precision of the ranked rows in one pass, weighted as rocAuc; `positives`
 * is the weighted count of positive rows, `rows` of all. Average precision as sklearn's
 * average_precision_score: Σ (Rₖ − Rₖ₋₁)·Pₖ over the distinct scores (tied scores one threshold),
 * each group's precision that of the rows at or above its score. NaN without positives.
 */
function aucAndAp(r: Ranked, positives: number, rows: number, weight?: Uint32Array): [number, number] {
  let below = 0;
  let sum = 0;
  let p = 0;
  let q = 0;
  let ap = 0;
  let negBelow = 0;
  let posBelow = 0;
  for (let j = 0; j < r.order.length; j++) {
    const w = weight ? weight[r.order[j]!]! : 1;
    if (r.positive[j]) p += w;
    else q += w;
    if (r.groupEnd[j]) {
      sum += p * (negBelow + q / 2);
      // Rows at or above this score: all but those below it.
      if (p) ap += (p / positives) * ((positives - posBelow) / (rows - below));
      negBelow += q;
      posBelow += p;
      below += p + q;
      p = q = 0;
    }
  }
  return [posBelow && negBelow ? sum / (posBelow * negBelow) : NaN, positives ? ap : NaN];
}

/** The mean of the values that are numbers (a resample can lack a class: its AUC is NaN). */
function meanOfDefined(values: readonly number[]): number {
  const defined = values.filter((v) => !Number.isNaN(v));
  return defined.length ? defined.reduce((s, v) => s + v, 0) / defined.length : NaN;
}

/** Each class's rows ranked by its score column, for the one-vs-rest macro AUC; or why not. */
function perClassRanked(truth: readonly string[], classes: readonly string[], scores: readonly number[], present: readonly string[]): Ranked[] | string {
  const k = classes.length;
  if (scores.length !== truth.length * k) return `ROC AUC needs a score per class and row: got ${scores.length} for ${truth.length} rows of ${k} classes`;
  return present.map((c) => {
    const col = classes.indexOf(c);
    return ranked(Uint8Array.from(truth, (t) => (t === c ? 1 : 0)), Float64Array.from({ length: truth.length }, (_, i) => scores[i * k + col]!));
  });
}

/** ROC AUC of both models with their intervals (and average precision for two classes), or why there is none. */
function aucOf(truth: readonly Label[], scores: ClassScores | undefined, names: readonly [string, string], resamples: number, seed: number): RocAuc | string {
  if (!scores) return 'ROC AUC needs scores: neither model gave class probabilities';
  const text = truth.map(String);
  const present = [...new Set(text)].sort();
  const missing = names.filter((_, k) => !(k ? scores.b : scores.a));
  if (missing.length) return `ROC AUC needs scores: ${missing.join(' and ')} gave labels only (no predict_proba)`;
  const n = truth.length;
  const weight = new Uint32Array(n);
  const weigh = (ix: Uint32Array): Uint32Array => {
    weight.fill(0);
    for (const i of ix) weight[i]!++;
    return weight;
  };
  if (scores.classes) {
    if (present.length < 2) return `ROC AUC needs two classes or more: the target has ${present.length}`;
    const unknown = present.filter((c) => !scores.classes.includes(c));
    if (unknown.length) return `ROC AUC needs a score for each class of the target: the models have none for ${unknown.slice(0, 5).join(', ')}`;
    const ra = perClassRanked(text, scores.classes, scores.a!, present);
    const rb = perClassRanked(text, scores.classes, scores.b!, present);
    if (typeof ra === 'string') return ra;
    if (typeof rb === 'string') return rb;
    const macro = (rs: readonly Ranked[], w?: Uint32Array): number => meanOfDefined(rs.map((r) => rocAuc(r, w)));
    const [aInterval, bInterval, diff] = pairedBootstrap(
      n,
      (ix) => {
        const w = weigh(ix);
        const [ea, eb] = [macro(ra, w), macro(rb, w)];
        return [ea, eb, eb - ea];
      },
      resamples,
      seed,
    ) as [Interval, Interval, Interval];
    return { positive: 'one-vs-rest macro', classes: present, a: macro(ra), b: macro(rb), aInterval, bInterval, diff };
  }
  if (present.length !== 2 || !present.includes(scores.positive)) return `ROC AUC is for the classes the models scored: the target has ${present.length}${present.length === 2 ? `, neither of them ${scores.positive}` : ''}`;
  const positive = Uint8Array.from(text, (t) => (t === scores.positive ? 1 : 0));
  const [ra, rb] = [ranked(positive, Float64Array.from(scores.a!)), ranked(positive, Float64Array.from(scores.b!))];
  const [aInterval, bInterval, diff, apA, apB, apDiff] = pairedBootstrap(
    n,
    (ix) => {
      const w = weigh(ix);
      let positives = 0;
      for (const i of ix) positives += positive[i]!;
      const [[ea, pa], [eb, pb]] = [aucAndAp(ra, positives, n, w), aucAndAp(rb, positives, n, w)];
      return [ea, eb, eb - ea, pa, pb, pb - pa];
    },
    resamples,
    seed,
  ) as [Interval, Interval, Interval, Interval, Interval, Interval];
  const positives = positive.reduce((s, v) => s + v, 0);
  const [[a, apPointA], [b, apPointB]] = [aucAndAp(ra, positives, n), aucAndAp(rb, positives, n)];
  const averagePrecisionAB = { a: apPointA, b: apPointB, aInterval: apA, bInterval: apB, diff: apDiff };
  return { positive: scores.positive, a, b, aInterval, bInterval, diff, averagePrecision: averagePrecisionAB, positiveShare: positives / n };
}

/**
 * The verdict's metric and why: the one asked for where it can be computed; else two classes with
 * scores ROC AUC (average precision where positives are under RARE_POSITIVE of the rows), more
 * classes with scores their one-vs-rest ROC AUC, labels only accuracy; regressors MAE.
 */
export function pickMetric(task: 'classification' | 'regression', asked: ABMetric | undefined, auc: RocAuc | string | undefined): { metric: ABMetric; note: string } {
  let fallback = '';
  if (asked) {
    const wrongTask = task === 'classification' ? !(CLASSIFIER_METRICS as readonly string[]).includes(asked) : !(REGRESSOR_METRICS as readonly string[]).includes(asked);
    const noScores = (asked === 'roc_auc' || asked === 'average_precision') && typeof auc === 'string';
    const noAp = asked === 'average_precision' && typeof auc !== 'string' && !auc?.averagePrecision;
    if (!wrongTask && !noScores && !noAp) return { metric: asked, note: `${METRIC_NAMES[asked]}, as asked` };
    fallback = wrongTask
      ? `${METRIC_NAMES[asked]} is not a ${task === 'classification' ? 'classifier' : 'regressor'} metric; `
      : noScores
        ? `no ${METRIC_NAMES[asked]} (${String(auc)}); `
        : `no average precision for ${(auc as RocAuc).classes?.length ?? 0} classes; `;
  }
  if (task === 'regression') return { metric: 'mae', note: `${fallback}MAE, the default for regressors` };
  if (typeof auc === 'string' || !auc) return { metric: 'accuracy', note: `${fallback}accuracy, the default where the models give no scores` };
  if (auc.classes) return { metric: 'roc_auc', note: `${fallback}ROC AUC (one-vs-rest, macro over ${auc.classes.length} classes), the default where both models give class probabilities` };
  const share = `${auc.positive} is ${((auc.positiveShare ?? 0) * 100).toFixed(1)}% of the rows`;
  return (auc.positiveShare ?? 1) < RARE_POSITIVE
    ? { metric: 'average_precision', note: `${fallback}average precision, the default for two classes with scores where the positive class is rare (${share}, under ${RARE_POSITIVE * 100}%)` }
    : { metric: 'roc_auc', note: `${fallback}ROC AUC, the default for two classes with scores (${share})` };
}

/**
 * "B is better than A on M by d (vb vs va), 95% CI of the gain [l, h]: …": the gain's interval is
 * B − A's for the better side (turned round where lower is better or A wins).
 */
export function intervalVerdict(metric: ABMetric, names: readonly [string, string], va: number, vb: number, diff: Interval, higherIsBetter: boolean, format: (x: number) => string): string {
  const [nameA, nameB] = names;
  const label = METRIC_NAMES[metric];
  if (va === vb) return `${nameA} and ${nameB} have the same ${label} (${format(va)}), 95% CI of B − A [${format(diff.low)}, ${format(diff.high)}].`;
  // Equal as shown and not told apart by the interval: "better by 0.0000" would read as a win.
  if (format(va) === format(vb) && diff.low <= 0 && diff.high >= 0) {
    return `${nameA} and ${nameB} are level on ${label} (${format(va)} each as shown), 95% CI of B − A [${format(diff.low)}, ${format(diff.high)}]: not a significant difference.`;
  }
  const bBetter = higherIsBetter ? vb > va : vb < va;
  const [better, worse, vBetter, vWorse] = bBetter ? [nameB, nameA, vb, va] : [nameA, nameB, va, vb];
  // The gain is B − A where B wins on a higher-is-better metric, A − B where A does; lower-is-better the other way round.
  const gain = bBetter === higherIsBetter ? diff : { low: -diff.high, high: -diff.low };
  const sure = gain.low > 0 ? 'the interval excludes 0' : 'the interval includes 0: not a significant difference';
  return `${better} is better than ${worse} on ${label} by ${format(Math.abs(vb - va))} (${format(vBetter)} vs ${format(vWorse)}), 95% CI of the gain [${format(gain.low)}, ${format(gain.high)}]: ${sure}.`;
}

const pts = (x: number): string => (x * 100).toFixed(1);
const num = (x: number): string => (Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));
const pText = (p: number): string => (p < 0.001 ? 'p<0.001' : `p=${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`);

export function compareClassifiers(truth: readonly Label[], a: readonly Label[], b: readonly Label[], options: ABOptions = {}): ClassificationAB {
  const n = truth.length;
  if (n === 0 || a.length !== n || b.length !== n) throw new Error(`the labels and both models' predictions must have the same number of rows (${n}, ${a.length}, ${b.length})`);
  const [nameA, nameB] = options.names ?? ['A', 'B'];
  let onlyA = 0;
  let onlyB = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const ra = a[i] === truth[i];
    const rb = b[i] === truth[i];
    if (ra && !rb) onlyA++;
    if (rb && !ra) onlyB++;
    if (a[i] === b[i]) agree++;
  }
  const { codes, count } = labelCodes(truth, a, b);
  const [ct, ca, cb] = codes as [Int32Array, Int32Array, Int32Array];
  const ma = classMetrics(ct, ca, count);
  const mb = classMetrics(ct, cb, count);
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 7;
  const [accuracyDiff, f1Diff] = pairedBootstrap(
    n,
    (ix) => {
      const [ra, rb] = [classMetrics(ct, ca, count, ix), classMetrics(ct, cb, count, ix)];
      return [rb.accuracy - ra.accuracy, rb.f1Macro - ra.f1Macro];
    },
    resamples,
    seed,
  ) as [Interval, Interval];
  const auc = aucOf(truth, options.scores, [nameA, nameB], resamples, seed);
  const p = mcnemarExact(onlyA, onlyB);
  const diff = mb.accuracy - ma.accuracy;
  const [better, worse] = diff >= 0 ? [nameB, nameA] : [nameA, nameB];
  const ci = diff >= 0 ? accuracyDiff : { low: -accuracyDiff.high, high: -accuracyDiff.low };
  const sure = p < 0.05 ? 'a real difference' : 'not a significant difference';
  const { metric, note } = pickMetric('classification', options.metric, auc);
  const four = (x: number): string => x.toFixed(4);
  const scored = typeof auc === 'string' ? undefined : metric === 'roc_auc' ? auc : metric === 'average_precision' ? auc.averagePrecision : undefined;
  // McNemar belongs to accuracy only (it counts the rows each gets right); the others stand on their bootstrap interval.
  const verdict = scored
    ? intervalVerdict(metric, [nameA, nameB], scored.a, scored.b, scored.diff, true, four)
    : metric === 'f1_macro'
      ? intervalVerdict(metric, [nameA, nameB], ma.f1Macro, mb.f1Macro, f1Diff, true, four)
      : diff === 0 && onlyA === onlyB
        ? `${nameA} and ${nameB} are equally accurate (${pts(ma.accuracy)}%), ${pText(p)} (McNemar).`
        : `${better} is better than ${worse} on accuracy by ${pts(Math.abs(diff))} points, 95% CI [${pts(ci.low)}, ${pts(ci.high)}], McNemar ${pText(p)}: ${sure} at 5%.`;
  return { task: 'classification', rows: n, a: ma, b: mb, agreement: agree / n, onlyA, onlyB, mcnemarP: p, accuracyDiff, f1Diff, auc, metric, metricNote: note, verdict };
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
  const verdict = intervalVerdict(metric, [nameA, nameB], ma[key], mb[key], diff, metric === 'r2', num);
  return { task: 'regression', rows: n, a: ma, b: mb, maeDiff, rmseDiff, r2Diff, metric, metricNote: note, verdict };
}

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
      `| MAE | ${num(r.a.mae)} | ${num(r.b.mae)} | ${ci(r.maeDiff, 1, 4)} |`,
      `| RMSE | ${num(r.a.rmse)} | ${num(r.b.rmse)} | ${ci(r.rmseDiff, 1, 4)} |`,
      `| R² | ${r.a.r2.toFixed(4)} | ${r.b.r2.toFixed(4)} | ${ci(r.r2Diff, 1, 4)} |`,
      ...latencyRows,
    );
  }
  if (r.latency) lines.push('', r.latency.sentence);
  lines.push('');
  return lines.join('\n');
}
