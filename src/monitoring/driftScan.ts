import type { DatasetColumn } from '../data/datasetSource';
import type { FileDatasetSource } from '../data/engine/fileDatasetSource';
import { quoteIdent, SqlParams } from '../data/engine/sqlText';
import type { BoundRelation } from '../data/engine/viewSql';
import { chiSquaredHomogeneity, jensenShannon, ksPValue, psi } from './driftStats';
import { chooseTest, DRIFT_DEFAULTS, isPValue, type DriftOptions, type DriftTest } from './driftTests';

// Drift between a reference and a current dataset, column by column, scanned by the data engine
// (DuckDB in its child process: src/data/engine/): the empirical CDFs' largest gap (KS) and the area
// between them (Wasserstein) in one window query per numeric column, counts per category for
// categories, and a 20-bin histogram of each side for the report. The host gets a few dozen numbers
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
  const [refSummary, curSummary] = [await numericSummaries(run, a, numericNames), await numericSummaries(run, b, numericNames)];
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
        ? await numericDrift(run, a, b, col.name, test, thresholds, refSummary.get(col.name)!, curSummary.get(col.name)!)
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

interface NumericSummary {
  readonly count: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

/** Count, population std, min and max of every numeric column of one side, NaN left out: one scan of the file. */
async function numericSummaries(run: Run, rel: BoundRelation, names: readonly string[]): Promise<Map<string, NumericSummary>> {
  const out = new Map<string, NumericSummary>();
  if (names.length === 0) return out;
  const parts = names.map((name) => {
    const x = `CAST(${quoteIdent(name)} AS DOUBLE)`;
    const f = `FILTER (WHERE NOT isnan(${x}))`;
    return `count(${x}) ${f}, stddev_pop(${x}) ${f}, min(${x}) ${f}, max(${x}) ${f}`;
  });
  const row = (await run(`SELECT ${parts.join(', ')} FROM ${rel.rel.from}`, new SqlParams(), 1))[0] ?? [];
  names.forEach((name, i) => out.set(name, { count: num(row[4 * i]) || 0, std: num(row[4 * i + 1]) || 0, min: num(row[4 * i + 2]), max: num(row[4 * i + 3]) }));
  return out;
}

async function numericDrift(
  run: Run,
  a: BoundRelation,
  b: BoundRelation,
  name: string,
  test: DriftTest,
  thresholds: { pValue: number; distance: number },
  ref: NumericSummary,
  cur: NumericSummary,
): Promise<ColumnDrift | string> {
  const n1 = ref.count;
  const n2 = cur.count;
  if (n1 === 0 || n2 === 0) return `no values in ${n1 === 0 ? 'the reference' : 'the current data'}`;
  const lo = Math.min(ref.min, cur.min);
  const hi = Math.max(ref.max, cur.max);
  const std = ref.std;
  // Each distinct value once with its count per side; the CDFs (count at or below x / n, as scipy
  // takes them) are running sums over the values: their largest gap is KS, the area between them Wasserstein.
  const v = `WITH v AS (${values(a, name, 'numeric', 1)} UNION ALL ${values(b, name, 'numeric', 0)})`;
  const g = `, g AS (SELECT x, sum(r) AS nr, count(*) - sum(r) AS nc FROM v GROUP BY x)`;
  const p = new SqlParams();
  const pn1 = p.bind(n1);
  const pn2 = p.bind(n2);
  const stats = await run(
    `${v}${g}, c AS (SELECT x, sum(nr) OVER w / ${pn1} - sum(nc) OVER w / ${pn2} AS diff, lead(x) OVER (ORDER BY x) AS nx FROM g WINDOW w AS (ORDER BY x ROWS UNBOUNDED PRECEDING)) ` +
      `SELECT max(abs(diff)), sum(CASE WHEN nx IS NULL THEN 0 ELSE (nx - x) * abs(diff) END) FROM c`,
    p,
    1,
  );
  const ks = num(stats[0]?.[0]);
  const wasserstein = num(stats[0]?.[1]);
  const histogram = await numericHistogram(run, v, lo, hi, HISTOGRAM_BINS);
  let value: number;
  if (test === 'ks') value = ksPValue(ks, n1, n2);
  else if (test === 'wasserstein') value = wasserstein / Math.max(std, 0.001);
  else {
    const bins = await numericHistogram(run, v, lo, hi, PSI_BINS);
    value = psi(bins.reference, bins.current);
  }
  return { column: name, kind: 'numeric', test, value, ...verdict(test, value, thresholds), referenceCount: n1, currentCount: n2, histogram, detail: { ks_statistic: ks, wasserstein, reference_std: std } };
}

async function numericHistogram(run: Run, v: string, lo: number, hi: number, bins: number): Promise<ColumnDrift['histogram']> {
  const width = hi > lo ? (hi - lo) / bins : 1;
  const p = new SqlParams();
  const rows = await run(`${v} SELECT least(greatest(CAST(floor((x - ${p.bind(lo)}) / ${p.bind(width)}) AS BIGINT), 0), ${bins - 1}) AS bin, sum(r), count(*) - sum(r) FROM v GROUP BY bin`, p, bins + 1);
  const reference = new Array<number>(bins).fill(0);
  const current = new Array<number>(bins).fill(0);
  for (const r of rows) {
    reference[num(r[0])] = num(r[1]);
    current[num(r[0])] = num(r[2]);
  }
  const count = hi > lo ? bins : 1;
  const labels = Array.from({ length: count }, (_, i) => String(Number((lo + i * width).toPrecision(4))));
  return { labels, reference: reference.slice(0, count), current: current.slice(0, count) };
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
