// ROC AUC and average precision of two classifiers from their scores (abStats.ts), each model's
// with its paired bootstrap interval and B − A's: rows ranked once per model, each resample one
// weighted pass over the ranks.
import type { ClassScores, Interval, Label, RocAuc } from './abStats';
import { pairedBootstrap } from './abStatsBootstrap';

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
export function aucOf(truth: readonly Label[], scores: ClassScores | undefined, names: readonly [string, string], resamples: number, seed: number): RocAuc | string {
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
