import type { DatasetColumn } from '../data/datasetSource';
import type { FileDatasetSource } from '../data/engine/fileDatasetSource';
import { quoteIdent, SqlParams } from '../data/engine/sqlText';
import type { BoundRelation } from '../data/engine/viewSql';
import { chiSquaredHomogeneity, jensenShannon, ksPValue, psi } from './driftStats';
import { chooseTest, DRIFT_DEFAULTS, isPValue, type DriftOptions, type DriftTest } from './driftTests';

// Drift between a reference and a current dataset, column by column, scanned by the data engine
// (DuckDB in its child process: src/data/engine/): every numeric column of both sides grouped to
// (column, value, count per side) once, then the empirical CDFs' largest gap (KS), the area between
// them (Wasserstein), the reference's spread and each side's histogram read from those groups (one
// query for all numeric columns, not two per column); counts per category for categories. The host gets a few dozen numbers
// per column, whatever the files' sizes, so the report stays small (Evidently's embeds the data).

export const HISTOGRAM_BINS = 20;
const PSI_BINS = 30;
/** Past this many categories a column is an identifier, not a category: left out, with the reason. */
export const MAX_CATEGORIES = 5000;
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
  readonly histogram: { readonly labels: readonly string[]; readonly reference: readonly number[]; readonly current: readonly number[] };
  /** KS statistic, chi-squared statistic, raw Wasserstein distance, as the case may be. */
  readonly detail?: Readonly<Record<string, number>>;
}

export interface SkippedColumn {
  readonly column: string;
  readonly reason: string;
}

export interface DriftResult {
  readonly reference: string;
  readonly current: string;
  readonly referenceRows: number;
  readonly currentRows: number;
  readonly columns: readonly ColumnDrift[];
  readonly skipped: readonly SkippedColumn[];
  readonly driftedShare: number;
  readonly driftShare: number;
  readonly datasetDrift: boolean;
  readonly options: Required<Pick<DriftOptions, 'pValue' | 'distance' | 'driftShare'>>;
}

type Run = (sql: string, params: SqlParams, maxRows: number) => Promise<readonly (readonly unknown[])[]>;

function kindOf(c: DatasetColumn): 'numeric' | 'categorical' | undefined {
  if (c.kind === 'integer' || c.kind === 'float' || c.kind === 'decimal') return 'numeric';
  if (c.kind === 'string' || c.kind === 'boolean') return 'categorical';
  return undefined;
}

const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

export async function detectDrift(reference: FileDatasetSource, current: FileDatasetSource, options: DriftOptions, signal: AbortSignal): Promise<DriftResult> {
  const params0 = new SqlParams();
  const a = await reference.relation(signal, params0);
  const b = await current.relation(signal, params0);
  const prepare = [...a.prepare, ...b.prepare];
  const run: Run = async (sql, params, maxRows) => (await reference.run(sql, { params, prepare }, signal, { maxRows })).rows;
  const counts = await run(`SELECT (SELECT count(*) FROM ${a.rel.from}), (SELECT count(*) FROM ${b.rel.from})`, new SqlParams(), 1);
  const referenceRows = num(counts[0]?.[0]);
  const currentRows = num(counts[0]?.[1]);
  const currentByName = new Map(b.rel.columns.map((c) => [c.name, c]));
  const ignore = new Set(options.ignore ?? []);
  const thresholds = { pValue: options.pValue ?? DRIFT_DEFAULTS.pValue, distance: options.distance ?? DRIFT_DEFAULTS.distance, driftShare: options.driftShare ?? DRIFT_DEFAULTS.driftShare };
  const columns: ColumnDrift[] = [];
  const skipped: SkippedColumn[] = [];
  const numericNames = a.rel.columns.filter((c) => !ignore.has(c.name) && kindOf(c) === 'numeric' && currentByName.has(c.name) && kindOf(currentByName.get(c.name)!) === 'numeric').map((c) => c.name);
  const numericTest = chooseTest('numeric', referenceRows, options);
  const scans = await numericScans(run, a, b, numericNames, numericTest === 'psi' ? [HISTOGRAM_BINS, PSI_BINS] : [HISTOGRAM_BINS]);
  for (const col of a.rel.columns) {
    if (ignore.has(col.name)) continue;
    const other = currentByName.get(col.name);
    if (!other) {
      skipped.push({ column: col.name, reason: `not in ${current.label}` });
      continue;
    }
    const kind = kindOf(col);
    const otherKind = kindOf(other);
    if (!kind || !otherKind) {
      skipped.push({ column: col.name, reason: `${col.type} columns are not compared` });
      continue;
    }
    // A number on one side and text on the other: compared as categories.
    const as = kind === otherKind ? kind : 'categorical';
    const test = chooseTest(as, referenceRows, options);
    const result =
      as === 'numeric'
        ? numericDrift(col.name, test, thresholds, scans.get(col.name))
        : await categoricalDrift(run, a, b, col.name, test, thresholds);
    if (typeof result === 'string') skipped.push({ column: col.name, reason: result });
    else columns.push(result);
    signal.throwIfAborted();
  }
  columns.sort((x, y) => Number(y.drifted) - Number(x.drifted) || (isPValue(x.test) ? x.value : -x.value) - (isPValue(y.test) ? y.value : -y.value));
  const drifted = columns.filter((c) => c.drifted).length;
  const driftedShare = columns.length ? drifted / columns.length : 0;
  return {
    reference: reference.label,
    current: current.label,
    referenceRows,
    currentRows,
    columns,
    skipped,
    driftedShare,
    driftShare: thresholds.driftShare,
    datasetDrift: columns.length > 0 && driftedShare >= thresholds.driftShare,
    options: thresholds,
  };
}

function values(rel: BoundRelation, name: string, as: 'numeric' | 'categorical', side: 0 | 1): string {
  const id = quoteIdent(name);
  // NaN is no value (pandas and Evidently drop it with the nulls).
  return as === 'numeric'
    ? `SELECT CAST(${id} AS DOUBLE) AS x, ${side} AS r FROM ${rel.rel.from} WHERE ${id} IS NOT NULL AND NOT isnan(CAST(${id} AS DOUBLE))`
    : `SELECT CAST(${id} AS VARCHAR) AS x, ${side} AS r FROM ${rel.rel.from} WHERE ${id} IS NOT NULL`;
}

function verdict(test: DriftTest, value: number, thresholds: { pValue: number; distance: number }): { threshold: number; drifted: boolean } {
  const threshold = isPValue(test) ? thresholds.pValue : thresholds.distance;
  return { threshold, drifted: isPValue(test) ? value < threshold : value >= threshold };
}

/** What the grouped scan gives for one numeric column (NaN and nulls left out). */
interface NumericScan {
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

/**
 * Every numeric column of both sides in one query: each column's values of both sides (nulls and NaN
 * dropped) grouped to each distinct value's count per side, once. The CDFs (count at or below x / n,
 * as scipy takes them) are running sums over those groups: their largest gap is KS, the area between
 * them Wasserstein. The histograms come from the same groups, binned over both sides' range. One
 * branch per column (a columnar scan of that column alone), not an UNPIVOT: its rows carry no name.
 */
async function numericScans(run: Run, a: BoundRelation, b: BoundRelation, names: readonly string[], binCounts: readonly number[]): Promise<Map<string, NumericScan>> {
  const out = new Map<string, NumericScan>();
  if (names.length === 0) return out;
  const branch = (name: string, i: number): string => {
    const x = `CAST(${quoteIdent(name)} AS DOUBLE)`;
    return `SELECT ${i} AS col, x, sum(r) AS nr, count(*) - sum(r) AS nc FROM (SELECT ${x} AS x, 1 AS r FROM ${a.rel.from} UNION ALL SELECT ${x}, 0 FROM ${b.rel.from}) WHERE NOT isnan(x) GROUP BY x`;
  };
  const grouped =
    `WITH g AS MATERIALIZED (${names.map(branch).join(' UNION ALL ')}), ` +
    `s AS MATERIALIZED (SELECT col, sum(nr) AS n1, sum(nc) AS n2, min(x) AS lo, max(x) AS hi, sum(nr * x) / nullif(sum(nr), 0) AS mean1 FROM g GROUP BY col), ` +
    `c AS (SELECT g.col, x, nr, s.n1, s.n2, s.mean1, s.lo, s.hi, sum(nr) OVER w / nullif(s.n1, 0) - sum(nc) OVER w / nullif(s.n2, 0) AS diff, lead(x) OVER (PARTITION BY g.col ORDER BY x) AS nx ` +
    `FROM g JOIN s ON g.col = s.col WINDOW w AS (PARTITION BY g.col ORDER BY x ROWS UNBOUNDED PRECEDING))`;
  // Rows of one shape: (0, col, n1, n2, ks, wasserstein, std, lo, hi) per column, then (bins, col, bin, reference, current) per bin.
  const statsPart =
    `SELECT 0 AS part, col, any_value(n1) AS v1, any_value(n2) AS v2, max(abs(diff)) AS v3, sum(CASE WHEN nx IS NULL THEN 0 ELSE (nx - x) * abs(diff) END) AS v4, ` +
    `sqrt(sum(nr * (x - mean1) * (x - mean1)) / nullif(any_value(n1), 0)) AS v5, any_value(lo) AS v6, any_value(hi) AS v7 FROM c GROUP BY col`;
  const histogramPart = (bins: number): string =>
    `SELECT ${bins}, g.col, least(greatest(CAST(floor((x - s.lo) / (CASE WHEN s.hi > s.lo THEN (s.hi - s.lo) / ${bins} ELSE 1 END)) AS BIGINT), 0), ${bins - 1}) AS bin, sum(nr), sum(nc), NULL, NULL, NULL, NULL ` +
    `FROM g JOIN s ON g.col = s.col GROUP BY g.col, bin`;
  const rows = await run(`${grouped} ${[statsPart, ...binCounts.map(histogramPart)].join(' UNION ALL ')}`, new SqlParams(), names.length * (1 + binCounts.reduce((n, b) => n + b, 0)));
  const histograms = new Map<number, Map<number, { reference: number[]; current: number[] }>>();
  for (const r of rows) {
    const bins = num(r[0]);
    const col = num(r[1]);
    if (bins === 0) continue;
    const byBins = histograms.get(col) ?? new Map<number, { reference: number[]; current: number[] }>();
    histograms.set(col, byBins);
    const h = byBins.get(bins) ?? { reference: new Array<number>(bins).fill(0), current: new Array<number>(bins).fill(0) };
    byBins.set(bins, h);
    h.reference[num(r[2])] = num(r[3]);
    h.current[num(r[2])] = num(r[4]);
  }
  for (const r of rows) {
    if (num(r[0]) !== 0) continue;
    const col = num(r[1]);
    out.set(names[col]!, { n1: num(r[2]) || 0, n2: num(r[3]) || 0, ks: num(r[4]), wasserstein: num(r[5]), std: num(r[6]) || 0, lo: num(r[7]), hi: num(r[8]), histograms: histograms.get(col) ?? new Map() });
  }
  return out;
}

function numericDrift(name: string, test: DriftTest, thresholds: { pValue: number; distance: number }, scan: NumericScan | undefined): ColumnDrift | string {
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
  return { column: name, kind: 'numeric', test, value, ...verdict(test, value, thresholds), referenceCount: n1, currentCount: n2, histogram, detail: { ks_statistic: ks, wasserstein, reference_std: std } };
}

/** The histogram with its bin labels; one bin where every value is the same. */
function binned(scan: NumericScan, bins: number): ColumnDrift['histogram'] {
  const { lo, hi } = scan;
  const width = hi > lo ? (hi - lo) / bins : 1;
  const h = scan.histograms.get(bins) ?? { reference: new Array<number>(bins).fill(0), current: new Array<number>(bins).fill(0) };
  const count = hi > lo ? bins : 1;
  const labels = Array.from({ length: count }, (_, i) => String(Number((lo + i * width).toPrecision(4))));
  return { labels, reference: h.reference.slice(0, count), current: h.current.slice(0, count) };
}

async function categoricalDrift(run: Run, a: BoundRelation, b: BoundRelation, name: string, test: DriftTest, thresholds: { pValue: number; distance: number }): Promise<ColumnDrift | string> {
  const rows = await run(
    `WITH v AS (${values(a, name, 'categorical', 1)} UNION ALL ${values(b, name, 'categorical', 0)}) SELECT x, sum(r), count(*) - sum(r) FROM v GROUP BY x ORDER BY count(*) DESC, x LIMIT ${MAX_CATEGORIES + 1}`,
    new SqlParams(),
    MAX_CATEGORIES + 1,
  );
  if (rows.length > MAX_CATEGORIES) return `more than ${MAX_CATEGORIES} distinct values: an identifier, not a category`;
  const reference = rows.map((r) => num(r[1]));
  const current = rows.map((r) => num(r[2]));
  const n1 = reference.reduce((s, x) => s + x, 0);
  const n2 = current.reduce((s, x) => s + x, 0);
  if (n1 === 0 || n2 === 0) return `no values in ${n1 === 0 ? 'the reference' : 'the current data'}`;
  let value: number;
  let detail: Record<string, number> = { categories: rows.length };
  if (test === 'chisquare') {
    const chi = chiSquaredHomogeneity(reference, current);
    value = chi.pValue;
    detail = { ...detail, chi2_statistic: chi.statistic, dof: chi.dof };
  } else if (test === 'jensenshannon') value = jensenShannon(reference, current);
  else value = psi(reference, current);
  const shown = rows.slice(0, SHOWN_CATEGORIES);
  const histogram = { labels: shown.map((r) => String(r[0])), reference: reference.slice(0, shown.length), current: current.slice(0, shown.length) };
  return { column: name, kind: 'categorical', test, value, ...verdict(test, value, thresholds), referenceCount: n1, currentCount: n2, histogram, detail };
}
