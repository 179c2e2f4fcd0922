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
}

export interface ParamRow {
  readonly key: string;
  readonly values: readonly (string | null)[];
  readonly differs: boolean;
}

export type ToCompareView = {
  readonly type: 'data';
  readonly runs: readonly ChartRun[];
  readonly metrics: readonly string[];
  /** Metrics shown first (the one clicked in the tree, else the key metric). */
  readonly selected: readonly string[];
  readonly series: readonly ChartSeries[];
  readonly params: readonly ParamRow[];
  readonly problems: readonly string[];
};

export type FromCompareView = { readonly type: 'ready' };
