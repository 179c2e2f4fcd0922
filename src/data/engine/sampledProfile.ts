// The one-scan profile of a big text file (columnSummary.ts firstPass) on a sample spread over the
// file (spreadSample.ts): the sample gives each number or date column its quantiles and histogram
// (estimates, said in the summary with the column's own values in the sample; a column with too few, SAMPLED_VALUES_MIN, has its quantiles counted exactly) and each text column its top-value
// candidates, which the scan counts exactly. Counting every row into bins cost 0.5 to 1 s of CPU a
// column on 10M rows (histogram() over the bounds, or over a bin number, or count(*) FILTER per
// bin), as much as parsing the file; the rows, nulls, min, max, mean and std stay exact.
import type { Cell, ColumnSummary, DatasetColumn } from '../datasetSource';
import { edgeCell, findColumn, finite, HISTOGRAM_BINS, isNumeric, isTemporal, QUANTILES, TOP_VALUES, xOf, type SummaryRunner } from './summaryTerms';
import { valueOf, type BoundRelation } from './viewSql';

/** A number or date column in the sample (as xOf numbers). */
export interface SampledNumbers {
  readonly lo: number;
  readonly hi: number;
  /** QUANTILES of the sample's values: quantile_cont (quantile_disc for dates). */
  readonly quantiles: readonly number[];
  /** The sample's histogram on "nice" edges over its range (sampleEdges): edges.length - 1 counts. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  /** The column's non-null values in the sample: what the quantiles and histogram are estimated from. */
  readonly values: number;
}

/** Non-null sampled values under which a column's quantiles are not estimated from the sample but counted exactly (columnSummary.ts firstPass). */
export const SAMPLED_VALUES_MIN = 1_000;

/** What a text column in which no sampled value repeats looks like: an identifier (short values), long text, or timestamps stored as text. */
export type UniqueAs = 'identifier' | 'long text' | 'timestamps';

/** Mean sampled length, in characters, from which a column of values that never repeat is long text rather than identifiers. */
export const LONG_TEXT_CHARS = 64;

/**
 * What a sample of the rows spread over the file says before the scan (spreadSample.ts): each
 * number and date column's range, quantiles and histogram, and each text column's most frequent values.
 */
export interface ProfileSample {
  /** The sample's rows. */
  readonly rows: number;
  readonly ranges: ReadonlyMap<string, SampledNumbers>;
  readonly candidates: ReadonlyMap<string, readonly Cell[]>;
  /** Text columns in which no sampled value repeats (idLike), with their non-null sampled values and what they look like: no candidates to count. */
  readonly unique: ReadonlyMap<string, { readonly values: number; readonly as: UniqueAs }>;
  /** Every column's non-null sampled values and how many of them differ: whether the scan counts its distinct values exactly (countDistinctExactly). */
  readonly distinct: ReadonlyMap<string, SampledDistinct>;
  /** The share of the file's rows the sample holds (spreadSample.ts). */
  readonly share: number;
}

export interface SampledDistinct {
  readonly values: number;
  readonly distinct: number;
}

/**
 * Whether a column's distinct values are counted exactly over every row: when its sampled values
 * repeat (fewer than 97% of them differ) or are few. Such a column holds at most about as many
 * distinct values as the sample has rows times the file's size over the sample's, usually far
 * fewer, and DuckDB's exact count then cost less than its HyperLogLog (0.1-0.2 s against 0.4 s
 * for 10M rows of 333,000 values; 0.8 s for 3.3M values), which was 25% off for 1,000 values
 * (1,249); and when the hash sample would keep every hash anyway. Columns whose sampled values
 * all but never repeat, or may hold more than EXACT_DISTINCT_PROJECTED_MAX values, are estimated
 * (hashSampleDistinct).
 */
export const countDistinctExactly = (seen: SampledDistinct, share: number): boolean =>
  seen.values < SAMPLED_VALUES_MIN || (seen.distinct < 0.97 * seen.values && seen.distinct / Math.max(share, 1e-9) <= EXACT_DISTINCT_PROJECTED_MAX) || hashShare(seen, share) >= 1;

/**
 * Distinct values a column may be projected to hold (its sampled share of distinct values times the
 * file's values: above the truth, since a sample repeats less than the file) past which they are
 * estimated, not counted: an exact count keeps every value in a hash table, which on a file of
 * hundreds of millions of rows could hold tens of millions of them per column.
 */
export const EXACT_DISTINCT_PROJECTED_MAX = 5_000_000;

/** Distinct hashes a hash-sampled column is expected to keep (hashSampleDistinct): a relative standard error of about 1/sqrt of it, 0.4%. */
export const HASH_SAMPLE_TARGET = 65_536;

/**
 * The share of the hash space a column's distinct values are sampled from (hashSampleDistinct), for
 * HASH_SAMPLE_TARGET of the distinct values the sample projects: its distinct values over its share
 * of the file when they all but never repeat (about the truth: the column is nearly a key), over the
 * square root of that share when they repeat (the truth then lies between the sample's count and
 * that projection; the root keeps the hashes kept within 1/sqrt(share) of the target either way).
 */
export function hashShare(seen: SampledDistinct, share: number): number {
  const s = Math.min(1, Math.max(share, 1e-9));
  const projected = seen.distinct / (seen.distinct >= 0.97 * seen.values ? s : Math.sqrt(s));
  return Math.min(1, HASH_SAMPLE_TARGET / Math.max(1, projected));
}

/**
 * The distinct values of a column whose values seldom repeat, counted on the values whose hash falls
 * in the lowest `share` of the hash space (a value's every row shares its hash, so a value is in or
 * out whole): their distinct count over the share. DuckDB's approx_count_distinct was 7-20% off on
 * such columns (a key i*10 of 3M rows: 3,583,748), and the K smallest hashes (min(hash, K)) cost
 * four times this (0.5 s of CPU a column on 10M rows against 0.12 s: the hashes of most rows fail
 * one comparison here) and were flooded by a frequent value whose hash fell low. No repeat among the
 * rows sampled says the column is (nearly) all distinct: its count of values is the figure. `hashes`
 * is the distinct hashes counted, for the error (hashSampleError).
 */
export function hashSampleDistinct(v: string, share: number): { readonly estimate: string; readonly hashes: string } {
  // Below share × 2^64, to 53 bits; the estimate scales by the exact inverse of the bound used.
  const scaled = Math.max(1, Math.round(share * 2 ** 53));
  const bound = `'${(BigInt(scaled) << 11n).toString()}'::UBIGINT`;
  const sampled = `${v} IS NOT NULL AND hash(${v}) < ${bound}`;
  const hashes = `count(DISTINCT hash(${v})) FILTER (WHERE ${sampled})`;
  const rows = `count(*) FILTER (WHERE ${sampled})`;
  const p = scaled / 2 ** 53;
  // No repeat among the rows sampled says "all distinct" only where the count of values agrees with
  // the share's own figure (within three standard errors): a frequent value hashed outside the share
  // (a -1 or 'N/A' in 2% of a key's rows) leaves no repeat to see, and the count of values overstates.
  const agrees = `count(${v}) * ${p} <= ${hashes} + 3 * sqrt(${hashes} * ${1 - p}) + 1`;
  return { hashes, estimate: `CASE WHEN ${hashes} = ${rows} AND ${agrees} THEN count(${v}) ELSE ${hashes} * ${2 ** 53 / scaled} END` };
}

/** The relative standard error of hashSampleDistinct's figure from the distinct hashes it counted in `share` of the hash space (binomial): 0 when it counted every value. */
export function hashSampleError(hashes: number, share: number): number {
  if (share >= 1) return 0;
  return Math.sqrt((1 - share) / Math.max(1, hashes));
}

/** Non-null sampled values under which a column without repeats says nothing (a few thousand rows of a category can all differ). */
export const UNIQUE_SAMPLE_MIN = 10_000;

/**
 * Whether a text column looks like an identifier: no value repeats among at least UNIQUE_SAMPLE_MIN
 * sampled values. Its top values would be 20 candidates counted once each on every row (a second of
 * CPU on 10M rows) to show ten values of count 1 or so; the summary says instead what the sample saw.
 */
export const idLike = (nonNull: number, distinct: number): boolean => nonNull >= UNIQUE_SAMPLE_MIN && distinct === nonNull;

/** Candidates a sample gives per text column: twice the values shown, so a value the sample undercounts can still rank. */
export const SAMPLE_CANDIDATES = 2 * TOP_VALUES;

const listOf = (cell: Cell | undefined): unknown[] => (typeof cell === 'string' ? ((JSON.parse(cell) as unknown[] | null) ?? []) : []);

/** The sample's figures: queries over `bound` (the sample file read as the data is): the figures, the unique columns' timestamp check, the histograms on edges from the figures. */
export async function sampleProfile(run: SummaryRunner, bound: BoundRelation, names: readonly string[], share = 1): Promise<ProfileSample> {
  const cols = names.map((name) => findColumn(bound, name));
  const parts: string[] = ['count(*)'];
  const at = new Map<string, number>();
  const q = `[${QUANTILES.join(', ')}]`;
  for (const col of cols) {
    at.set(col.name, parts.length);
    const x = xOf(col);
    if (isNumeric(col) || isTemporal(col)) parts.push(`min(${x})`, `max(${x})`, `to_json(${isTemporal(col) ? 'quantile_disc' : 'quantile_cont'}(${x}, ${q}))`, `count(${x})`, `count(DISTINCT ${valueOf(col)})`);
    else if (col.kind === 'string' || col.kind === 'boolean') {
      // The mean length tells an identifier from long text (timestamps as text: timestampShares).
      parts.push(`to_json(approx_top_k(${valueOf(col)}, ${SAMPLE_CANDIDATES}))`, `count(${valueOf(col)})`, `count(DISTINCT ${valueOf(col)})`, `avg(length(CAST(${valueOf(col)} AS VARCHAR)))`);
    }
  }
  const row = (await run(`SELECT ${parts.join(', ')} FROM ${bound.rel.from}`, bound, 1)).rows[0] ?? [];
  const found = new Map<string, { lo: number; hi: number; quantiles: number[]; edges: number[]; values: number }>();
  const candidates = new Map<string, Cell[]>();
  const unique = new Map<string, { values: number; as: UniqueAs }>();
  const distinct = new Map<string, SampledDistinct>();
  for (const col of cols) {
    const i = at.get(col.name);
    if (i === undefined) continue;
    if (isNumeric(col) || isTemporal(col)) {
      const lo = finite(row[i]);
      const hi = finite(row[i + 1]);
      const quantiles = listOf(row[i + 2]).map(Number);
      distinct.set(col.name, { values: Number(row[i + 3] ?? 0), distinct: Number(row[i + 4] ?? 0) });
      if (lo !== undefined && hi !== undefined && quantiles.length === QUANTILES.length && quantiles.every(Number.isFinite)) found.set(col.name, { lo, hi, quantiles, edges: sampleEdges(col, lo, hi), values: Number(row[i + 3] ?? 0) });
    } else if (col.kind === 'string' || col.kind === 'boolean') {
      const nonNull = Number(row[i + 1] ?? 0);
      distinct.set(col.name, { values: nonNull, distinct: Number(row[i + 2] ?? 0) });
      if (idLike(nonNull, Number(row[i + 2] ?? 0))) {
        unique.set(col.name, { values: nonNull, as: Number(row[i + 3] ?? 0) >= LONG_TEXT_CHARS ? 'long text' : 'identifier' });
        continue;
      }
      const kept = (listOf(row[i]) as Cell[]).filter((c) => c !== null);
      if (kept.length > 0) candidates.set(col.name, kept);
    }
  }
  const uniqueCols = cols.filter((c) => unique.has(c.name));
  if (uniqueCols.length > 0) {
    const shares = await timestampShares(run, bound, uniqueCols);
    uniqueCols.forEach((col, k) => {
      const u = unique.get(col.name);
      if (u && (shares[k] ?? 0) >= 0.9) unique.set(col.name, { ...u, as: 'timestamps' });
    });
  }
  // Bounds as text: a literal such as 0.9999999999999999 is read as a DECIMAL, whose cast to DOUBLE rounds it to 1.
  const binned = cols.filter((c) => found.has(c.name));
  const counted = binned.length === 0 ? [] : ((await run(`SELECT ${binned.map((col) => `to_json(map_values(histogram(CAST(${xOf(col)} AS DOUBLE), [${binBounds(found.get(col.name)?.edges ?? []).map((b) => `'${b}'::DOUBLE`).join(', ')}])))`).join(', ')} FROM ${bound.rel.from}`, bound, 1)).rows[0] ?? []);
  const ranges = new Map<string, SampledNumbers>();
  binned.forEach((col, k) => {
    const f = found.get(col.name);
    if (!f) return;
    const bins = f.edges.length - 1;
    // histogram() lists the open bin past the last bound only when a row falls in it.
    const counts = listOf(counted[k]).map(Number).slice(0, bins);
    while (counts.length < bins) counts.push(0);
    ranges.set(col.name, { ...f, counts });
  });
  return { rows: Number(row[0] ?? 0), ranges, candidates, unique, distinct, share };
}

/** Sampled values a column's timestamps-as-text share is read from. */
export const TIMESTAMP_CHECK_VALUES = 10_000;

/**
 * The share of each column's first TIMESTAMP_CHECK_VALUES sampled rows' values that read as a
 * timestamp: asked only of the columns whose values never repeat, since a failed TRY_CAST is dear
 * (measured: 0.15 s a text column over a 16 MB sample, a third of the sample's query).
 */
async function timestampShares(run: SummaryRunner, bound: BoundRelation, cols: readonly DatasetColumn[]): Promise<number[]> {
  const text = (col: DatasetColumn): string => `CAST(${valueOf(col)} AS VARCHAR)`;
  const parts = cols.flatMap((col) => [`count(TRY_CAST(${text(col)} AS TIMESTAMP))`, `count(${valueOf(col)})`]);
  const row = (await run(`SELECT ${parts.join(', ')} FROM (SELECT * FROM ${bound.rel.from} LIMIT ${TIMESTAMP_CHECK_VALUES})`, bound, 1)).rows[0] ?? [];
  return cols.map((_, k) => {
    const values = Number(row[2 * k + 1] ?? 0);
    return values > 0 ? Number(row[2 * k] ?? 0) / values : 0;
  });
}

/**
 * Bin edges for a sampled range: "nice" steps (1, 2, 5 × 10^k; whole days for dates; one bin a
 * value for integers of up to HISTOGRAM_BINS values), about HISTOGRAM_BINS bins, at least two.
 */
export function sampleEdges(col: DatasetColumn, lo: number, hi: number): number[] {
  const day = 86_400_000;
  const integral = col.kind === 'integer' || col.kind === 'date';
  const unit = col.kind === 'date' ? day : 1;
  let step: number;
  if (integral && (hi - lo) / unit + 1 <= HISTOGRAM_BINS) step = unit;
  else {
    const raw = (hi - lo) / HISTOGRAM_BINS / unit;
    const power = 10 ** Math.floor(Math.log10(raw > 0 ? raw : 1));
    const nice = [1, 2, 5, 10].map((m) => m * power).find((m) => m >= raw) ?? 10 * power;
    step = (integral ? Math.max(1, Math.round(nice)) : nice) * unit;
  }
  const start = Math.floor(lo / step) * step;
  const n = Math.max(2, Math.floor((hi - start) / step) + 1);
  return Array.from({ length: n + 1 }, (_, k) => Number((start + k * step).toPrecision(15)));
}

/** The largest double below x: a histogram() boundary b counts values <= b, so below(edge) counts values < edge. */
function below(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = (bits[0] ?? 0n) + (x > 0 ? -1n : 1n);
  return f[0] ?? x;
}

/**
 * The sample's histogram fitted to the exact range the scan found: bins wholly outside [min, max]
 * dropped (the sample's nice edges overshoot), the end edges set to the min and max. Values past
 * the sampled range belong to the end bins, which then reach out to the min or max and are wider
 * than the others: `endsWidened` says so.
 */
export function fitToRange(col: DatasetColumn, edges: readonly number[], counts: readonly number[], lo: number, hi: number): NonNullable<ColumnSummary['histogram']> {
  let first = 0;
  let last = counts.length - 1;
  while (first < last && (edges[first + 1] ?? Infinity) <= lo && (counts[first] ?? 0) === 0) first++;
  while (last > first && (edges[last] ?? -Infinity) > hi && (counts[last] ?? 0) === 0) last--;
  const kept = edges.slice(first, last + 2);
  const widened = lo < (kept[0] ?? lo) || hi > (kept[kept.length - 1] ?? hi);
  kept[0] = lo;
  kept[kept.length - 1] = hi;
  return { edges: kept.map((e) => edgeCell(col, e)), counts: counts.slice(first, last + 1), ...(widened ? { endsWidened: true } : {}) };
}

/** histogram() bounds that count bin k of `edges` as edge k <= x < edge k+1, the first and last bins open-ended. */
const binBounds = (edges: readonly number[]): number[] => edges.slice(1, -1).map(below);

/**
 * A text column's value's place among the sample's candidates (1-based, NULL for any other value),
 * the key the scan counts them by: an integer costs histogram() about half what the text does.
 */
export function candidatePosition(col: DatasetColumn, candidates: readonly Cell[], bind: (value: string) => string): string {
  return `list_position([${candidates.map((c) => bind(String(c))).join(', ')}], CAST(${valueOf(col)} AS VARCHAR))`;
}

/**
 * Whether a text column's sample listed all it saw (fewer candidates than it could): a column of
 * few values, whose rows are then mostly candidates. Its distinct count and min/max are taken over
 * the other rows only and joined with the counted candidates' (withCounted), which saves most of
 * their cost (approx_count_distinct and a text min/max cost as much as the candidates' count).
 */
export const fewValues = (col: DatasetColumn, candidates: readonly Cell[]): boolean => /^VARCHAR$/i.test(col.type) && candidates.length < SAMPLE_CANDIDATES;

/** The counts of the scan's histogram() of candidatePosition, by the candidate's text. */
export function candidateCounts(candidates: readonly Cell[], json: Record<string, number> | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [k, n] of Object.entries(json ?? {})) {
    const c = candidates[Number(k) - 1];
    if (c !== undefined && !counts.has(String(c))) counts.set(String(c), Number(n));
  }
  return counts;
}

/**
 * A fewValues column's distinct count (d) or min/max (lo, hi), from the figure over the rows that
 * are no candidate (`rest`) and the candidates counted at least once: min and max in the engine's
 * order for text, byte by byte in UTF-8.
 */
export function withCounted(key: 'd' | 'lo' | 'hi', rest: Cell | undefined, counts: ReadonlyMap<string, number>): Cell | undefined {
  const seen = [...counts].filter(([, n]) => n > 0).map(([text]) => text);
  if (key === 'd') return seen.length + (typeof rest === 'number' ? rest : Number(rest ?? 0));
  const all = typeof rest === 'string' ? [...seen, rest] : seen;
  if (all.length === 0) return rest;
  const order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  return all.reduce((best, t) => ((key === 'lo' ? order(t, best) < 0 : order(t, best) > 0) ? t : best));
}
