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
// the one asked for, else pickMetric's (abStatsVerdict.ts); the others stay in the table.
// This file: the results' types and the metric names. The parts: abStatsClassifiers.ts,
// abStatsScores.ts (ROC AUC, average precision), abStatsRegressors.ts, abStatsBootstrap.ts,
// abStatsVerdict.ts (the metric picked and the sentence), abStatsMarkdown.ts (the report's section).

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
