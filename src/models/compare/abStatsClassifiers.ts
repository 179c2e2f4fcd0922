// The classifiers' A/B (abStats.ts): accuracy, macro F1, agreement and McNemar's exact test, with
// paired bootstrap intervals; ROC AUC and average precision where the models give scores
// (abStatsScores.ts).
import type { ABOptions, ClassificationAB, ClassMetrics, Interval, Label } from './abStats';
import { pairedBootstrap } from './abStatsBootstrap';
import { aucOf } from './abStatsScores';
import { intervalVerdict, pickMetric } from './abStatsVerdict';

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

const pts = (x: number): string => (x * 100).toFixed(1);
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
