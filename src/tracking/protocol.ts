// Messages between the "Compare Runs" webview and the extension host (checked on both sides by the compiler).

export interface ChartRun {
  readonly key: string;
  readonly name: string;
  readonly experiment: string;
  readonly status: string;
  readonly source: string;
}

export interface ChartSeries {
  /** Index into `runs`. */
  readonly run: number;
  readonly metric: string;
  readonly steps: readonly number[];
  /** Seconds since the epoch, or null where the writer kept no time (Lightning CSV). */
  readonly times: readonly (number | null)[];
  /** NaN and infinities are sent as null (JSON has neither). */
  readonly values: readonly (number | null)[];
  /** Points the run has; more than `steps.length` when downsampled for drawing. */
  readonly total: number;
  /** The first NaN or infinite value: where the curve stops (a divergence), null when every value is finite. */
  readonly stop: CurveStop | null;
}

export interface CurveStop {
  readonly step: number;
  /** Seconds since the epoch, where the writer kept times. */
  readonly time: number | null;
  readonly value: 'NaN' | 'inf' | '-inf';
  /** The last finite point before it, if any. */
  readonly lastFinite: { readonly step: number; readonly time: number | null; readonly value: number } | null;
}

/** One run's values of one metric in the summary table. */
export interface SummaryCell {
  /** The value at the highest step; null when it is NaN or infinite (see `stop`). */
  readonly last: number | null;
  readonly lastStep: number;
  /** The best finite value by the metric's direction (lowest or highest), null when it has no direction or no finite value. */
  readonly best: number | null;
  readonly bestStep: number | null;
  readonly stop: CurveStop | null;
}

export interface SummaryRow {
  readonly metric: string;
  /** Which way is better, decided from the name (runQuery.ts metricDirection); null: neither (epoch, lr). */
  readonly direction: 'lower' | 'higher' | null;
  /** One per run; null where the run does not log the metric. */
  readonly cells: readonly (SummaryCell | null)[];
  /** The run with the best last value, and the run with the best value reached; null without a direction. */
  readonly bestLast: number | null;
  readonly bestBest: number | null;
}

export interface ParamRow {
  readonly key: string;
  readonly values: readonly (string | null)[];
  /** At least two runs set it to different values (a run without it is not a difference). */
  readonly differs: boolean;
  /** Per run: its value differs from the one most runs share (every set value, when no value is shared by most). */
  readonly highlight: readonly boolean[];
}

export type ToCompareView = {
  readonly type: 'data';
  readonly runs: readonly ChartRun[];
  readonly metrics: readonly string[];
  /** Metrics shown first (the one clicked in the tree, else the key metric). */
  readonly selected: readonly string[];
  readonly series: readonly ChartSeries[];
  /** Last and best value of each metric per run, from the whole history (not the drawn points). */
  readonly summary: readonly SummaryRow[];
  readonly params: readonly ParamRow[];
  readonly problems: readonly string[];
};

export type FromCompareView = { readonly type: 'ready' };
