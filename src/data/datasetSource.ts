// The one contract between the Dataset viewer, the agent's data tools and the CLI on one side, and
// what holds the rows on the other: a file queried by the embedded engine (src/data/engine/) or a
// DataFrame in a live kernel (src/data/kernel/). Every call is paged and cancellable, so only what
// is shown crosses from the engine or the kernel, and values are JSON-safe, so they cross to a
// webview, a worker or a child process as they are.

/** What the viewer draws a column as; `type` keeps the engine's own name for the header. */
export type ColumnKind =
  | 'integer'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'string'
  | 'date'
  | 'timestamp'
  | 'time'
  | 'interval'
  | 'binary'
  | 'nested'
  | 'other';

export interface DatasetColumn {
  readonly name: string;
  /** The engine's or library's own type name: BIGINT, VARCHAR, DECIMAL(10,2), float64, category… */
  readonly type: string;
  readonly kind: ColumnKind;
}

/**
 * A cell as it crosses: null for NULL/NaN-as-missing, numbers that a double holds exactly as
 * numbers, everything else (64-bit integers beyond 2^53, decimals, dates, timestamps, nested
 * values, bytes) as the text the engine prints for it.
 */
export type Cell = string | number | boolean | null;

/** One column's condition; all of a view's filters must hold (AND). */
export type ColumnFilter =
  | { readonly column: string; readonly op: 'range'; readonly min?: Cell; readonly max?: Cell } // inclusive bounds
  | { readonly column: string; readonly op: 'equals'; readonly value: Cell }
  | { readonly column: string; readonly op: 'contains'; readonly text: string; readonly caseSensitive?: boolean } // on the value as text
  | { readonly column: string; readonly op: 'isNull'; readonly negate?: boolean }
  | { readonly column: string; readonly op: 'topK'; readonly k: number }; // rows whose value is one of the k most frequent

export interface SortKey {
  readonly column: string;
  readonly descending: boolean;
}

/**
 * What the grid shows: the file's (or frame's) rows, filtered, then sorted by the keys in order.
 * Ties keep the source's order and nulls sort last in both directions, so the engine, pandas and
 * polars (Copy as Code) give the same rows in the same order.
 */
export interface DatasetView {
  readonly filters: readonly ColumnFilter[];
  readonly sort: readonly SortKey[];
}

export const EMPTY_VIEW: DatasetView = { filters: [], sort: [] };

export interface DatasetInfo {
  /** The file's name or the kernel variable's name. */
  readonly label: string;
  readonly columns: readonly DatasetColumn[];
  /** Rows in the source. */
  readonly totalRows: number;
  /** Rows the view keeps (equals totalRows when nothing is filtered). */
  readonly viewRows: number;
  /** The file's size on disk; absent for kernel data. */
  readonly fileBytes?: number;
  /** Changes whenever the data may have (file size + mtime, or the kernel's execution count): caches key on it. */
  readonly version: string;
  /**
   * False while the rows are still being counted (a big text file is loaded into the engine
   * first): totalRows and viewRows are then the rows read so far, and an exact info follows.
   */
  readonly rowsExact?: false;
  /** What the reader had to assume, for the header to say (e.g. "read as Latin-1: the file is not UTF-8"). */
  readonly notes?: readonly string[];
}

export interface DatasetPage {
  /** Row number in the view of the first row. */
  readonly offset: number;
  /** Rows in column order (DatasetInfo.columns). */
  readonly rows: readonly (readonly Cell[])[];
}

export interface ColumnSummary {
  readonly column: string;
  readonly kind: ColumnKind;
  readonly type: string;
  /** Rows in the view, nulls included. */
  readonly count: number;
  readonly nulls: number;
  readonly distinct: number;
  /** True when `distinct` is an estimate (HyperLogLog, or distinctError's sketch), which the panel says. */
  readonly distinctApproximate: boolean;
  /** With distinctApproximate: the estimate's relative standard error where known (the K-minimum-values sketch of a sampled big text file). */
  readonly distinctError?: number;
  readonly min?: Cell;
  readonly max?: Cell;
  readonly mean?: number;
  readonly std?: number;
  /** Numbers and dates: p05, p25, p50, p75, p95 (approximate where the engine says so). */
  readonly quantiles?: readonly { readonly p: number; readonly value: Cell }[];
  readonly quantilesApproximate?: boolean;
  /**
   * Numbers and dates: equal-width bins; edges has counts.length + 1 entries. Past EXACT_ROWS rows of
   * a big text file the bins and counts are a sample's (sampledRows; nice round steps), the end edges
   * the exact min and max; `endsWidened` when values lay past the sampled range, so an end bin is wider.
   */
  readonly histogram?: { readonly edges: readonly Cell[]; readonly counts: readonly number[]; readonly endsWidened?: boolean };
  /**
   * Set when the quantiles and the histogram's counts are estimated from a sample of this many rows
   * spread over the file (a big text file past EXACT_ROWS rows), which the panel says; the other
   * figures (rows, nulls, min, max, mean, std) count every row.
   */
  readonly sampledRows?: number;
  /**
   * With sampledRows: the column's own non-null values in the sample, which the histogram's counts
   * add up to and the quantiles are estimated from. Under SAMPLED_VALUES_MIN the quantiles count every
   * row instead (quantilesApproximate false) and only the histogram is the sample's.
   */
  readonly sampledValues?: number;
  /** Strings, booleans and categories: the most frequent values, most first. */
  readonly topValues?: readonly { readonly value: Cell; readonly count: number }[];
  /** True when topValues are frequent values counted exactly but perhaps not the most frequent ones (a sketch's candidates, past EXACT_ROWS). */
  readonly topValuesApproximate?: boolean;
  /** Set, with no topValues, when no value repeated among this many non-null values of a sample spread over a big text file: an ID-like column, which the panel says. */
  readonly uniqueInSample?: number;
  /** With uniqueInSample: whether the values look like an identifier (short), long text, or timestamps stored as text. */
  readonly uniqueAs?: 'identifier' | 'long text' | 'timestamps';
}

/** Label balance of a target column: each class with its count, most first, capped at `limit`. */
export interface LabelBalance {
  readonly column: string;
  readonly classes: readonly { readonly value: Cell; readonly count: number }[];
  /** Rows in classes beyond the limit. */
  readonly otherCount: number;
  readonly nulls: number;
}

/** Where the rows come from, as Copy as Code and the tool cards name it. */
export type DatasetOrigin =
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly format: DatasetFormat;
      /** How the engine had to read a text file (known once it is open), so the copied code reads it the same way. */
      readonly encoding?: 'latin-1';
      readonly delimiter?: ',' | '\t' | ';' | '|';
      /** Columns read as text: a value far down the file did not fit the type their first rows suggest (lateValues.ts). */
      readonly textColumns?: readonly string[];
      /** JSON lines columns of mixed types, shown as text: strings as themselves, the rest as compact JSON (fileRelation.ts jsonAsText). */
      readonly jsonText?: readonly string[];
    }
  | { readonly kind: 'kernel'; readonly variable: string; readonly library: 'pandas' | 'polars' | 'numpy' };

export type DatasetFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl' | 'arrow';

/**
 * A table the viewer and the tools read. Every method honours its signal: an aborted call rejects
 * with an AbortError soon after and leaves the source usable. Bad input rejects with a UserError
 * (src/common/errors.ts) that names the file and where it went wrong.
 */
export interface DatasetSource {
  readonly origin: DatasetOrigin;
  info(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo>;
  /**
   * What can be said at once, before info() has counted: the columns and the rows read so far
   * (rowsExact: false), or undefined when info() would not have to wait. Lets a viewer draw the
   * first rows of a 1 GB CSV while the engine loads it.
   */
  quickInfo?(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo | undefined>;
  rows(view: DatasetView, offset: number, limit: number, signal: AbortSignal): Promise<DatasetPage>;
  summarize(column: string, view: DatasetView, signal: AbortSignal): Promise<ColumnSummary>;
  labelBalance(column: string, view: DatasetView, limit: number, signal: AbortSignal): Promise<LabelBalance>;
  /** Frees what the source holds (an engine connection, a kernel-side cache). */
  dispose(): Promise<void>;
}
