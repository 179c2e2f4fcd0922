import { chiSquaredHomogeneity, jensenShannon, ksPValue, proportionsZTest, psi } from './driftStats';
import { isPValue, PER_VALUE, type DriftTest } from './driftTests';

// One column's drift from the counts the scan (driftScan.ts) gave for it: the statistic the column
// was given (driftTests.ts) on its histogram, per-value counts or categories, and the verdict
// against its threshold, with the histogram the report draws (ColumnDrift: a row of the report);
// or why the column was left out.

export const HISTOGRAM_BINS = 20;
export const PSI_BINS = 30;
/** Past this many categories a column is an identifier, not a category: left out, with the reason. */
export const MAX_CATEGORIES = 5000;
/** A text column with more distinct values than this and than half its rows is not a category. */
const MIN_DISTINCT_TEXT = 50;
/** Categories the report shows per column (the most frequent). */
const SHOWN_CATEGORIES = 20;

export interface ColumnDrift {
  readonly column: string;
  readonly kind: 'numeric' | 'categorical';
  readonly test: DriftTest;
  /** The p-value or the distance, per `test`. */
  readonly value: number;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly referenceCount: number;
  readonly currentCount: number;
  /** Numbers: equal-width bins over both sides' range, counts per side. Categories: the most frequent, counts per side. */
  readonly histogram: DriftHistogram;
  /** KS statistic, chi-squared statistic, raw Wasserstein distance, as the case may be. */
  readonly detail?: Readonly<Record<string, number>>;
}

/**
 * Counts per side from the engine's scan, the same bins for both sides: what the report view draws
 * and the JSON export carries (a few dozen numbers per column, whatever the data's size).
 */
export interface DriftHistogram {
  /** Numbers: each bin's lower edge, rounded for reading; categories: the category. */
  readonly labels: readonly string[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
  /** Numbers: the bins' edges, one more than the bins (the last is the largest value of both sides). */
  readonly edges?: readonly number[];
  /** Categories: the rows of the categories past the shown ones, per side (absent when all are shown). */
  readonly other?: { readonly reference: number; readonly current: number };
}

/** What the grouped scan gives for one numeric column (NaN and nulls left out). */
export interface NumericScan {
  readonly n1: number;
  readonly n2: number;
  readonly ks: number;
  readonly wasserstein: number;
  /** The reference's population standard deviation. */
  readonly std: number;
  readonly lo: number;
  readonly hi: number;
  /** Counts per bin and side, by bin count (20 for the report; 30 for PSI). */
  readonly histograms: ReadonlyMap<number, { readonly reference: number[]; readonly current: number[] }>;
}

/** A category's counts per side (nulls left out), most frequent first. */
export interface CategoryCount {
  readonly label: string;
  readonly reference: number;
  readonly current: number;
}

export interface BothScan {
  readonly referenceRows: number;
  readonly currentRows: number;
  /** By the column's index in `compared`. */
  readonly numeric: ReadonlyMap<number, NumericScan>;
  readonly categories: ReadonlyMap<number, readonly CategoryCount[]>;
  /** Numeric columns with at most FEW_VALUES distinct values: each value's counts per side, most frequent first. */
  readonly fewValues: ReadonlyMap<number, readonly CategoryCount[]>;
}

type Thresholds = { readonly pValue: number; readonly distance: number };

/** Column `i` of the scan compared with `test`: a ColumnDrift, or why it was left out. */
export function columnDrift(name: string, as: 'numeric' | 'categorical', test: DriftTest, thresholds: Thresholds, scan: BothScan, i: number): ColumnDrift | string {
  if (as === 'categorical') return categoricalDrift(name, test, thresholds, scan.categories.get(i) ?? []);
  const values = scan.fewValues.get(i);
  return values && PER_VALUE.has(test) ? fewValuesDrift(name, test, thresholds, values, scan.numeric.get(i)) : numericDrift(name, test, thresholds, scan.numeric.get(i), values?.length);
}

function verdict(test: DriftTest, value: number, thresholds: Thresholds): { threshold: number; drifted: boolean } {
  const threshold = isPValue(test) ? thresholds.pValue : thresholds.distance;
  return { threshold, drifted: isPValue(test) ? value < threshold : value >= threshold };
}

function numericDrift(name: string, test: DriftTest, thresholds: Thresholds, scan: NumericScan | undefined, values?: number): ColumnDrift | string {
  const n1 = scan?.n1 ?? 0;
  const n2 = scan?.n2 ?? 0;
  if (!scan || n1 === 0 || n2 === 0) return `no values in ${n1 === 0 ? 'the reference' : 'the current data'}`;
  const { ks, wasserstein, std } = scan;
  const histogram = binned(scan, HISTOGRAM_BINS);
  let value: number;
  if (test === 'ks') value = ksPValue(ks, n1, n2);
  else if (test === 'wasserstein') value = wasserstein / Math.max(std, 0.001);
  else {
    const bins = binned(scan, PSI_BINS);
    value = psi(bins.reference, bins.current);
  }
  return { column: name, kind: 'numeric', test, value, ...verdict(test, value, thresholds), referenceCount: n1, currentCount: n2, histogram, detail: { ks_statistic: ks, wasserstein, reference_std: std, ...(values === undefined ? {} : { values }) } };
}

/** The histogram with its bin labels; one bin where every value is the same. */
function binned(scan: NumericScan, bins: number): ColumnDrift['histogram'] {
  const { lo, hi } = scan;
  const width = hi > lo ? (hi - lo) / bins : 1;
  const h = scan.histograms.get(bins) ?? { reference: new Array<number>(bins).fill(0), current: new Array<number>(bins).fill(0) };
  const count = hi > lo ? bins : 1;
  // The edges the query's floor((x - lo) / width) binned by; the last bin holds hi (a constant column: [lo, lo]).
  const edges = Array.from({ length: count + 1 }, (_, i) => (i === count ? hi : lo + i * width));
  const labels = edges.slice(0, count).map((e) => String(Number(e.toPrecision(4))));
  return { labels, reference: h.reference.slice(0, count), current: h.current.slice(0, count), edges };
}

/** A per-category statistic on counts per side (the same categories, in the same order). */
function perCategory(test: DriftTest, reference: readonly number[], current: readonly number[]): { value: number; detail: Record<string, number> } {
  const categories = { categories: reference.length };
  if (test === 'chisquare') {
    const chi = chiSquaredHomogeneity(reference, current);
    return { value: chi.pValue, detail: { ...categories, chi2_statistic: chi.statistic, dof: chi.dof } };
  }
  if (test === 'ztest') {
    const z = proportionsZTest(reference, current);
    return { value: z.pValue, detail: { ...categories, z_statistic: z.statistic } };
  }
  return { value: test === 'jensenshannon' ? jensenShannon(reference, current) : psi(reference, current), detail: categories };
}

/**
 * A numeric column with few distinct values (a flag, a rating) compared per value, as Evidently
 * does (driftTests.ts); the report keeps its numeric histogram.
 */
function fewValuesDrift(name: string, test: DriftTest, thresholds: Thresholds, values: readonly CategoryCount[], scan: NumericScan | undefined): ColumnDrift | string {
  const reference = values.map((r) => r.reference);
  const current = values.map((r) => r.current);
  const n1 = reference.reduce((s, x) => s + x, 0);
  const n2 = current.reduce((s, x) => s + x, 0);
  if (!scan || n1 === 0 || n2 === 0) return `no values in ${n1 === 0 ? 'the reference' : 'the current data'}`;
  const { value, detail } = perCategory(test, reference, current);
  return { column: name, kind: 'numeric', test, value, ...verdict(test, value, thresholds), referenceCount: n1, currentCount: n2, histogram: binned(scan, HISTOGRAM_BINS), detail: { ...detail, values: values.length } };
}

function categoricalDrift(name: string, test: DriftTest, thresholds: Thresholds, rows: readonly CategoryCount[]): ColumnDrift | string {
  if (rows.length > MAX_CATEGORIES) return `more than ${MAX_CATEGORIES} distinct values: an identifier, not a category`;
  const reference = rows.map((r) => r.reference);
  const current = rows.map((r) => r.current);
  const n1 = reference.reduce((s, x) => s + x, 0);
  const n2 = current.reduce((s, x) => s + x, 0);
  if (n1 === 0 || n2 === 0) return `no values in ${n1 === 0 ? 'the reference' : 'the current data'}`;
  // Text whose values are nearly all distinct (an id, free text, numbers written with units) has
  // no categories to compare: any new sample shares few values with the reference, so a distance
  // over them says "drifted" whatever happened.
  const distinct = reference.filter((x) => x > 0).length;
  if (distinct > MIN_DISTINCT_TEXT && distinct > n1 / 2) return `${distinct} distinct values in ${n1} rows: text that is not a category (an identifier, free text, or numbers written with units: parse them to compare them)`;
  const { value, detail } = perCategory(test, reference, current);
  const shown = rows.slice(0, SHOWN_CATEGORIES);
  const rest = rows.slice(shown.length);
  const histogram: DriftHistogram = {
    labels: shown.map((r) => r.label),
    reference: reference.slice(0, shown.length),
    current: current.slice(0, shown.length),
    ...(rest.length ? { other: { reference: rest.reduce((s, r) => s + r.reference, 0), current: rest.reduce((s, r) => s + r.current, 0) } } : {}),
  };
  return { column: name, kind: 'categorical', test, value, ...verdict(test, value, thresholds), referenceCount: n1, currentCount: n2, histogram, detail };
}
