import type { DatasetColumn } from '../data/datasetSource';
import type { DataEngine } from '../data/engine/engineClient';
import { FileDatasetSource } from '../data/engine/fileDatasetSource';
import { columnsFromDescribe, directScan } from '../data/engine/fileRelation';
import { lateValueNote, retryingLateValues } from '../data/engine/lateValues';
import type { TablePrep } from '../data/engine/protocol';
import { quoteIdent, SqlParams } from '../data/engine/sqlText';
import { LOAD_TEST_SOURCE, REQUEST_SOURCE_FIELD } from '../serving/requestLogText';
import type { KernelFrameFile } from './kernelFrame';
import { logScan, MAX_READS, readRotatedLog, rotatedLogFiles } from './rotatedLog';
import { columnDrift, HISTOGRAM_BINS, MAX_CATEGORIES, PSI_BINS, type BothScan, type CategoryCount, type ColumnDrift, type NumericScan } from './columnDrift';
import { checkKindFits, DRIFT_DEFAULTS, FEW_VALUES, isPValue, ownTest, scannedColumnTest, type DriftOptions } from './driftTests';

// Drift between a reference and a current dataset, column by column, scanned by the data engine
// (DuckDB in its child process: src/data/engine/) in one query that reads each file once, in place:
// the compared columns of each side are held for that query only (building the engine's table of
// the whole file cost twice the parse), every column's values of both sides are grouped to (value,
// count per side) once, then the empirical CDFs' largest gap (KS), the area between them
// (Wasserstein), the reference's spread and each side's histogram are read from those groups, and
// counts per category for categories. The host gets a few dozen numbers per column, whatever the
// files' sizes, so the report stays small (Evidently's embeds the data).
// Which statistic fits a column: driftTests.ts; each column's statistic from its counts: columnDrift.ts.

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
  /** A served app's request log: its load test's rows left out per side (absent: no side is such a log, or they were kept). */
  readonly loadTestRows?: { readonly reference: number; readonly current: number };
  /** The current side's files: a rotated request log read with its old files (absent: one file). */
  readonly currentFiles?: number;
  /** What the reader should know about how the report was made (a statistic replaced, a log that kept rotating). */
  readonly notes?: readonly string[];
}

type Run = (sql: string, maxRows: number) => Promise<readonly (readonly unknown[])[]>;

function kindOf(c: DatasetColumn): 'numeric' | 'categorical' | undefined {
  if (c.kind === 'integer' || c.kind === 'float' || c.kind === 'decimal') return 'numeric';
  if (c.kind === 'string' || c.kind === 'boolean') return 'categorical';
  return undefined;
}

const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

/** A kernel's DataFrame written to a file (kernelFrame.ts), with a source of that file for the engine. */
export interface FrameInput {
  readonly frame: KernelFrameFile;
  readonly source: FileDatasetSource;
}

/** A request log with its rotated files (rotatedLog.ts), oldest first; `source` is the live file's. */
export interface LogInput {
  readonly log: readonly string[];
  readonly source: FileDatasetSource;
}

/** One side: a data file, a kernel's DataFrame, or a rotated request log. */
export type DriftInput = FileDatasetSource | FrameInput | LogInput;

const sourceOf = (input: DriftInput): FileDatasetSource => (input instanceof FileDatasetSource ? input : input.source);
const labelOf = (input: DriftInput): string => (input instanceof FileDatasetSource ? input.label : 'frame' in input ? input.frame.label : input.source.label);

/** Columns of one file read as text at most (lateValues.ts), each costing one more scan. */
const MAX_TEXT_COLUMNS = 8;

export async function detectDrift(referenceInput: DriftInput, currentInput: DriftInput, options: DriftOptions, signal: AbortSignal): Promise<DriftResult> {
  // A value past DuckDB's sniff of a CSV that does not fit its column (lateValues.ts): that side
  // reads the column as text (so it is compared as categories) and the scan runs again, as the grid does.
  const sides = [referenceInput, currentInput];
  const text: string[][] = [[], []];
  const late: string[] = [];
  const result = await retryingLateValues(
    () => driftOnce(referenceInput, currentInput, options, signal, text),
    (value) => {
      const sniffed = (s: DriftInput): boolean => s instanceof FileDatasetSource && (s.format === 'csv' || s.format === 'tsv');
      const i = sides.findIndex((s, j) => sniffed(s) && (value.file === undefined || value.file === sourceOf(s).path) && !text[j]?.includes(value.column));
      const columns = text[i];
      if (!columns || columns.length >= MAX_TEXT_COLUMNS) return false;
      columns.push(value.column);
      late.push(`${labelOf(sides[i]!)}: ${lateValueNote(value)}`);
      return true;
    },
  );
  return late.length ? { ...result, notes: [...late, ...(result.notes ?? [])] } : result;
}

async function driftOnce(referenceInput: DriftInput, currentInput: DriftInput, options: DriftOptions, signal: AbortSignal, text: readonly (readonly string[])[]): Promise<DriftResult> {
  const params = new SqlParams();
  const reference = { label: labelOf(referenceInput), source: sourceOf(referenceInput) };
  const current = { label: labelOf(currentInput) };
  const a = await scanOf(referenceInput, params, signal, !options.includeLoadTest, text[0] ?? []);
  const b = await scanOf(currentInput, params, signal, !options.includeLoadTest, text[1] ?? []);
  const currentByName = new Map(b.columns.map((c) => [c.name, c]));
  const ignore = new Set(options.ignore ?? []);
  const thresholds = { pValue: options.pValue ?? DRIFT_DEFAULTS.pValue, distance: options.distance ?? DRIFT_DEFAULTS.distance, driftShare: options.driftShare ?? DRIFT_DEFAULTS.driftShare };
  const skipped: SkippedColumn[] = [];
  const notes: string[] = [];
  const compared: Compared[] = [];
  for (const col of a.columns) {
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
    compared.push({ name: col.name, as: kind === otherKind ? kind : 'categorical' });
  }
  // A change of kind is known before the scan; replaceUnfitTests lets the check after it replace the test.
  for (const { name, as } of compared) checkKindFits(name, as, options);
  // PSI is never the automatic choice, so its bins are known before the rows are counted (an own PSI
  // always fits, so no replaced test needs them).
  const psiWanted = options.numericTest === 'psi' || compared.some((c) => c.as === 'numeric' && ownTest(options, c.name) === 'psi');
  const binCounts = psiWanted ? [HISTOGRAM_BINS, PSI_BINS] : [HISTOGRAM_BINS];
  const run: Run = async (sql, maxRows) => (await reference.source.run(sql, { params, prepare: [...a.prepare, ...b.prepare] }, signal, { maxRows })).rows;
  const scan = await scanBoth(run, a.from, b.from, compared, binCounts);
  const { referenceRows, currentRows } = scan;
  const columns: ColumnDrift[] = [];
  compared.forEach(({ name, as }, i) => {
    const distinct = as === 'numeric' ? scan.fewValues.get(i)?.length : (scan.categories.get(i) ?? []).length;
    const { test, note } = scannedColumnTest(name, as, referenceRows, options, distinct);
    if (note) notes.push(note);
    const result = columnDrift(name, as, test, thresholds, scan, i);
    if (typeof result === 'string') skipped.push({ column: name, reason: result });
    else columns.push(result);
  });
  // Skipped columns in the reference's order, whichever step left them out.
  const order = new Map(a.columns.map((c, i) => [c.name, i]));
  skipped.sort((x, y) => (order.get(x.column) ?? 0) - (order.get(y.column) ?? 0));
  const sorted = sortByDrift(columns);
  const drifted = columns.filter((c) => c.drifted).length;
  const driftedShare = columns.length ? drifted / columns.length : 0;
  return {
    reference: reference.label,
    current: current.label,
    referenceRows,
    currentRows,
    columns: sorted,
    skipped,
    driftedShare,
    driftShare: thresholds.driftShare,
    datasetDrift: columns.length > 0 && driftedShare >= thresholds.driftShare,
    options: thresholds,
    ...(a.loadTestRows !== undefined || b.loadTestRows !== undefined ? { loadTestRows: { reference: a.loadTestRows ?? 0, current: b.loadTestRows ?? 0 } } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * How far a column is past its threshold (above 1: drifted), so p-values and distances sort on one
 * scale: threshold / p for a test, distance / threshold for a distance. NaN sorts last.
 */
export function driftScore(c: ColumnDrift): number {
  const score = isPValue(c.test) ? c.threshold / Math.max(c.value, Number.MIN_VALUE) : c.value / c.threshold;
  return Number.isNaN(score) ? -Infinity : score;
}

/** Drifted columns first, then by score; ties keep their order (the reference's). */
export function sortByDrift(columns: readonly ColumnDrift[]): ColumnDrift[] {
  return [...columns].sort((x, y) => Number(y.drifted) - Number(x.drifted) || driftScore(y) - driftScore(x));
}

/**
 * detectDrift on two files or kernel DataFrames (written to files: kernelFrame.ts), the sources let
 * go of afterwards (an Arrow file's engine table with them). The frames' files are the caller's.
 */
export async function detectFileDrift(engine: DataEngine, reference: string | KernelFrameFile, current: string | KernelFrameFile, options: DriftOptions, signal: AbortSignal): Promise<DriftResult> {
  const input = (side: string | KernelFrameFile): DriftInput => (typeof side === 'string' ? new FileDatasetSource(side, engine) : { frame: side, source: new FileDatasetSource(side.path, engine) });
  const compare = async (b: DriftInput): Promise<DriftResult> => {
    const a = input(reference);
    try {
      return await detectDrift(a, b, options, signal);
    } finally {
      await Promise.all([sourceOf(a).dispose(), sourceOf(b).dispose()]);
    }
  };
  // A rotated request log as the current side: with its old files, read in place (rotatedLog.ts).
  if (typeof current !== 'string' || rotatedLogFiles(current).length === 1) return compare(input(current));
  const { result, files, unstable } = await readRotatedLog(current, (log) => compare(log.length > 1 ? { log, source: new FileDatasetSource(current, engine) } : input(current)));
  const note = unstable ? [`The request log rotated during each of ${MAX_READS} reads: the last read is shown, and a few of its rows may be missing or counted twice.`] : [];
  return { ...result, ...(files > 1 ? { currentFiles: files } : {}), ...(note.length ? { notes: [...(result.notes ?? []), ...note] } : {}) };
}

interface Compared {
  readonly name: string;
  readonly as: 'numeric' | 'categorical';
}

/** One side: where its rows come from in SQL, and its columns as that scan types them. */
interface Side {
  readonly from: string;
  readonly columns: readonly DatasetColumn[];
  readonly prepare: readonly TablePrep[];
  /** A request log's rows of load tests, left out of `from`. */
  readonly loadTestRows?: number;
}

/**
 * The file read in place (CSV, TSV, JSON lines, Parquet) with the options its opening settled on
 * (encoding, delimiter) and the columns a late value made text (detectDrift); an Arrow file through
 * the engine's table of it. The columns are the scan's own, from a zero-row read (DuckDB sniffs a
 * text file as it will for the rows), not a big file's quick first look.
 * A served app's request log (JSON lines with REQUEST_SOURCE_FIELD) loses its load tests' rows
 * unless kept: counted first, in a read of that field alone.
 */
async function scanOf(input: DriftInput, params: SqlParams, signal: AbortSignal, skipLoadTests: boolean, textColumns: readonly string[]): Promise<Side> {
  const source = sourceOf(input);
  if ('log' in input) return logSide(input, params, signal, skipLoadTests);
  if (!(input instanceof FileDatasetSource) && input.frame.format === 'csv') return frameCsv(input.frame, source.path, params);
  // Opening checks the file (line lengths, encoding, ragged rows) and names it in any error.
  const opened = await source.relation(signal, new SqlParams());
  if (source.format === 'arrow') return { from: opened.rel.from, columns: opened.rel.columns, prepare: opened.prepare };
  const origin = source.origin;
  const csv = origin.kind === 'file' ? { ...(origin.encoding ? { encoding: origin.encoding } : {}), ...(origin.delimiter ? { delimiter: origin.delimiter } : {}), ...(textColumns.length ? { textColumns } : {}) } : {};
  const probe = new SqlParams();
  const described = await source.run(`SELECT * FROM ${directScan(source.format, source.path, probe, csv, false)} LIMIT 0`, { params: probe, prepare: [] }, signal, { maxRows: 1 });
  const columns = columnsFromDescribe(described.columns.map((c) => [c.name, c.type]), source.format);
  const scan = (p: SqlParams): string => directScan(source.format, source.path, p, csv, false);
  if (!skipLoadTests || source.format !== 'jsonl') return { from: scan(params), columns, prepare: [] };
  return withoutLoadTests(source, scan, columns, params, signal);
}

/**
 * A rotated request log: its files in one scan, in place. Not opened as one file is (the live file
 * may be empty just after a rotation); the engine names a file it cannot read.
 */
async function logSide(input: LogInput, params: SqlParams, signal: AbortSignal, skipLoadTests: boolean): Promise<Side> {
  const probe = new SqlParams();
  const described = await input.source.run(`SELECT * FROM ${logScan(input.log, probe)} LIMIT 0`, { params: probe, prepare: [] }, signal, { maxRows: 1 });
  const columns = columnsFromDescribe(described.columns.map((c) => [c.name, c.type]), 'jsonl');
  const scan = (p: SqlParams): string => logScan(input.log, p);
  return skipLoadTests ? withoutLoadTests(input.source, scan, columns, params, signal) : { from: scan(params), columns, prepare: [] };
}

/** A served app's request log (JSON lines with REQUEST_SOURCE_FIELD) without its load tests' rows, counted first in a read of that field alone. */
async function withoutLoadTests(source: FileDatasetSource, scan: (p: SqlParams) => string, columns: readonly DatasetColumn[], params: SqlParams, signal: AbortSignal): Promise<Side> {
  if (!columns.some((c) => c.name === REQUEST_SOURCE_FIELD)) return { from: scan(params), columns, prepare: [] };
  const isLoadTest = `${quoteIdent(REQUEST_SOURCE_FIELD)} = '${LOAD_TEST_SOURCE}'`;
  const count = new SqlParams();
  const counted = await source.run(`SELECT count(*) FROM ${scan(count)} WHERE ${isLoadTest}`, { params: count, prepare: [] }, signal, { maxRows: 1 });
  return { from: `(SELECT * FROM ${scan(params)} WHERE (${isLoadTest}) IS NOT TRUE)`, columns, prepare: [], loadTestRows: Number(counted.rows[0]![0]) };
}

/**
 * A kernel's CSV (kernelFrameSource.ts) read with the types the kernel gave, nothing sniffed: a text
 * column of digits stays text, and text values carry a one-letter prefix (an empty string is not a
 * null). Columns the kernel left out (dates) keep their dtype, so the report says why.
 */
function frameCsv(frame: KernelFrameFile, path: string, params: SqlParams): Side {
  const written = frame.columns.filter((c) => c.sql);
  const types = written.map((c, j) => `'c${j}': '${c.sql}'`).join(', ');
  const select = written.map((c, j) => `${c.sql === 'VARCHAR' ? `substr(c${j}, 2)` : `c${j}`} AS ${quoteIdent(c.name)}`).join(', ');
  const scan = `read_csv(${params.bind(path)}, header = false, auto_detect = false, columns = {${types}}, delim = ',', quote = '"', escape = '"', nullstr = '')`;
  const kind = { DOUBLE: 'float', BOOLEAN: 'boolean', VARCHAR: 'string' } as const;
  const columns = frame.columns.map((c): DatasetColumn => (c.sql ? { name: c.name, type: c.sql, kind: kind[c.sql] } : { name: c.name, type: c.dtype, kind: 'other' }));
  return { from: written.length ? `(SELECT ${select} FROM ${scan})` : '(SELECT 1 WHERE false)', columns, prepare: [] };
}

/**
 * Everything the report needs in one query, each file read once: the compared columns of each side
 * (cast once: DOUBLE for numbers, text for categories) held for the query (a and b), each column's
 * values of both sides grouped to each distinct value's count per side (g for numbers, k for
 * categories; one branch per column, a columnar scan of that column alone, not an UNPIVOT whose rows
 * carry no name). The CDFs (count at or below x / n, as scipy takes them) are running sums over g:
 * their largest gap is KS, the area between them Wasserstein; the histograms come from the same
 * groups, binned over both sides' range. Running sums are of DOUBLE counts: exact below 2^53, and a
 * third of the time of integer ones, whose window sums DuckDB keeps in 128 bits.
 * Rows of one shape: (part, col, label, v1..v7):
 *   part -1: the row counts (v1 reference, v2 current);
 *   part 0: per numeric column n1, n2, KS, Wasserstein, the reference's std, lo, hi;
 *   part = bins (20, 30): per bin (v1) the counts per side (v2, v3);
 *   part -2: per category (label) its counts per side (v1, v2) and rank (v3), the most frequent
 *   MAX_CATEGORIES + 1 of each column (one more tells an identifier from a category);
 *   part -3: per value (label) of a numeric column with at most FEW_VALUES of them its counts per side.
 */
async function scanBoth(run: Run, a: string, b: string, compared: readonly Compared[], binCounts: readonly number[]): Promise<BothScan> {
  const v = (i: number): string => `v${i}`;
  const held = compared.length ? compared.map((c, i) => `CAST(${quoteIdent(c.name)} AS ${c.as === 'numeric' ? 'DOUBLE' : 'VARCHAR'}) AS ${v(i)}`).join(', ') : 'NULL AS v';
  const numeric = compared.flatMap((c, i) => (c.as === 'numeric' ? [i] : []));
  const categorical = compared.flatMap((c, i) => (c.as === 'categorical' ? [i] : []));
  const ctes = [`a AS MATERIALIZED (SELECT ${held} FROM ${a})`, `b AS MATERIALIZED (SELECT ${held} FROM ${b})`];
  const parts = ['SELECT -1 AS part, 0 AS col, NULL AS label, (SELECT count(*) FROM a) AS v1, (SELECT count(*) FROM b) AS v2, NULL AS v3, NULL AS v4, NULL AS v5, NULL AS v6, NULL AS v7'];
  const groups = (i: number, where: string): string =>
    `SELECT ${i} AS col, x, count_if(r) AS nr, count_if(NOT r) AS nc FROM (SELECT ${v(i)} AS x, true AS r FROM a UNION ALL SELECT ${v(i)}, false FROM b) WHERE ${where} GROUP BY x`;
  if (numeric.length) {
    // NaN is no value (pandas and Evidently drop it with the nulls); NOT isnan(NULL) drops the nulls.
    ctes.push(
      `g AS MATERIALIZED (${numeric.map((i) => groups(i, 'NOT isnan(x)')).join(' UNION ALL ')})`,
      `s AS MATERIALIZED (SELECT col, sum(nr) AS n1, sum(nc) AS n2, min(x) AS lo, max(x) AS hi, sum(nr * x) / nullif(sum(nr), 0) AS mean1 FROM g GROUP BY col)`,
      `c AS (SELECT g.col, x, nr, s.n1, s.n2, s.mean1, s.lo, s.hi, sum(CAST(nr AS DOUBLE)) OVER w / nullif(s.n1, 0) - sum(CAST(nc AS DOUBLE)) OVER w / nullif(s.n2, 0) AS diff, lead(x) OVER (PARTITION BY g.col ORDER BY x) AS nx ` +
        `FROM g JOIN s ON g.col = s.col WINDOW w AS (PARTITION BY g.col ORDER BY x ROWS UNBOUNDED PRECEDING))`,
    );
    parts.push(
      `SELECT 0, col, NULL, any_value(n1), any_value(n2), max(abs(diff)), sum(CASE WHEN nx IS NULL THEN 0 ELSE (nx - x) * abs(diff) END), ` +
        `sqrt(sum(nr * (x - mean1) * (x - mean1)) / nullif(any_value(n1), 0)), any_value(lo), any_value(hi) FROM c GROUP BY col`,
      ...binCounts.map(
        (bins) =>
          `SELECT ${bins}, g.col, NULL, least(greatest(CAST(floor((x - s.lo) / (CASE WHEN s.hi > s.lo THEN (s.hi - s.lo) / ${bins} ELSE 1 END)) AS BIGINT), 0), ${bins - 1}) AS bin, sum(nr), sum(nc), NULL, NULL, NULL, NULL ` +
          `FROM g JOIN s ON g.col = s.col GROUP BY g.col, bin`,
      ),
      `SELECT -3, col, CAST(x AS VARCHAR), nr, nc, NULL, NULL, NULL, NULL, NULL FROM g WHERE col IN (SELECT col FROM g GROUP BY col HAVING count(*) <= ${FEW_VALUES})`,
    );
  }
  if (categorical.length) {
    ctes.push(`k AS (${categorical.map((i) => groups(i, 'x IS NOT NULL')).join(' UNION ALL ')})`);
    parts.push(
      `SELECT -2, col, x, nr, nc, rank, NULL, NULL, NULL, NULL FROM (SELECT *, row_number() OVER (PARTITION BY col ORDER BY nr + nc DESC, x) AS rank FROM k) WHERE rank <= ${MAX_CATEGORIES + 1}`,
    );
  }
  const maxRows = 1 + numeric.length * (1 + FEW_VALUES + binCounts.reduce((n, bins) => n + bins, 0)) + categorical.length * (MAX_CATEGORIES + 1);
  const rows = await run(`WITH ${ctes.join(', ')} ${parts.join(' UNION ALL ')}`, maxRows);
  let referenceRows = 0;
  let currentRows = 0;
  const stats = new Map<number, Omit<NumericScan, 'histograms'>>();
  const histograms = new Map<number, Map<number, { reference: number[]; current: number[] }>>();
  const categories = new Map<number, (CategoryCount & { rank: number })[]>();
  const fewValues = new Map<number, CategoryCount[]>();
  for (const r of rows) {
    const part = num(r[0]);
    const col = num(r[1]);
    if (part === -1) {
      referenceRows = num(r[3]);
      currentRows = num(r[4]);
    } else if (part === 0) {
      stats.set(col, { n1: num(r[3]) || 0, n2: num(r[4]) || 0, ks: num(r[5]), wasserstein: num(r[6]), std: num(r[7]) || 0, lo: num(r[8]), hi: num(r[9]) });
    } else if (part === -3) {
      const list = fewValues.get(col) ?? [];
      fewValues.set(col, list);
      list.push({ label: String(Number(r[2])), reference: num(r[3]), current: num(r[4]) });
    } else if (part === -2) {
      const list = categories.get(col) ?? [];
      categories.set(col, list);
      list.push({ label: String(r[2]), reference: num(r[3]), current: num(r[4]), rank: num(r[5]) });
    } else {
      const byBins = histograms.get(col) ?? new Map<number, { reference: number[]; current: number[] }>();
      histograms.set(col, byBins);
      const h = byBins.get(part) ?? { reference: new Array<number>(part).fill(0), current: new Array<number>(part).fill(0) };
      byBins.set(part, h);
      h.reference[num(r[3])] = num(r[4]);
      h.current[num(r[3])] = num(r[5]);
    }
  }
  const numericScans = new Map<number, NumericScan>();
  for (const [col, s] of stats) numericScans.set(col, { ...s, histograms: histograms.get(col) ?? new Map() });
  for (const list of categories.values()) list.sort((x, y) => x.rank - y.rank);
  for (const list of fewValues.values()) list.sort((x, y) => y.reference + y.current - (x.reference + x.current) || Number(x.label) - Number(y.label));
  return { referenceRows, currentRows, numeric: numericScans, categories, fewValues };
}
