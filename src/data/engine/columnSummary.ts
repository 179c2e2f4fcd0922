// Column summaries and label balance in SQL over a view's rows. Exact distinct counts and quantiles
// up to EXACT_ROWS rows; beyond, DuckDB's HyperLogLog (approx_count_distinct) and t-digest
// (approx_quantile), which the summary says. Histograms are equal-width over [min, max]; dates and
// timestamps are binned on epoch milliseconds and their edges given back as dates.
import { SharedTask } from '../sharedTask';
import { UserError } from '../../common/errors';
import type { Cell, ColumnSummary, DatasetColumn, DatasetView, LabelBalance } from '../datasetSource';
import type { QueryResult } from './engineClient';
import { quoteIdent } from './sqlText';
import { valueOf, whereSql, type BoundRelation } from './viewSql';

export const EXACT_ROWS = 1_000_000;
export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
export const HISTOGRAM_BINS = 20;
export const TOP_VALUES = 10;

export type SummaryRunner = (sql: string, bound: BoundRelation, maxRows: number) => Promise<QueryResult>;

function findColumn(bound: BoundRelation, name: string): DatasetColumn {
  const col = bound.rel.columns.find((c) => c.name === name);
  if (!col) throw new UserError(`${bound.rel.label} has no column "${name}".`);
  return col;
}

const num = (cell: Cell | undefined): number => (typeof cell === 'number' ? cell : Number(cell ?? 0));
const finite = (cell: Cell | undefined): number | undefined => (typeof cell === 'number' && Number.isFinite(cell) ? cell : undefined);

export async function labelBalanceOf(run: SummaryRunner, bind: () => BoundRelation, name: string, view: DatasetView, limit: number): Promise<LabelBalance> {
  const bound = bind();
  const col = findColumn(bound, name);
  const id = quoteIdent(col.name);
  const cap = Math.max(1, Math.min(10_000, Math.trunc(limit)));
  const classesWhere = whereSql(bound.rel, view, bound.params, [`${id} IS NOT NULL`]);
  const classes = await run(`SELECT ${id}, count(*) FROM ${bound.rel.from}${classesWhere} GROUP BY 1 ORDER BY 2 DESC, 1 ASC LIMIT ${cap}`, bound, cap);
  const totals = bind();
  const row = (await run(`SELECT count(*), count(${id}) FROM ${totals.rel.from}${whereSql(totals.rel, view, totals.params)}`, totals, 1)).rows[0] ?? [];
  const listed = classes.rows.reduce((sum, r) => sum + num(r[1]), 0);
  return {
    column: col.name,
    classes: classes.rows.map((r) => ({ value: r[0] ?? null, count: num(r[1]) })),
    otherCount: num(row[1]) - listed,
    nulls: num(row[0]) - num(row[1]),
  };
}

/** Summaries by file version, column and filters (sorting does not change a summary); the newest 256 kept. */
export class SummaryCache {
  private readonly entries = new Map<string, SharedTask<ColumnSummary>>();

  /** The summary, computed once for every caller; one caller's cancel does not fail the others. */
  get(version: string, column: string, view: DatasetView, compute: (signal: AbortSignal) => Promise<ColumnSummary>, signal: AbortSignal): Promise<ColumnSummary> {
    const key = JSON.stringify([version, column, view.filters]);
    const entry = this.entries.get(key);
    if (entry && !entry.abandoned) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.join(signal);
    }
    const task = new SharedTask(compute);
    this.entries.set(key, task);
    // A failed or cancelled summary is computed again next time.
    task.promise.catch(() => {
      if (this.entries.get(key) === task) this.entries.delete(key);
    });
    while (this.entries.size > 256) this.entries.delete(this.entries.keys().next().value as string);
    return task.join(signal);
  }

  has(version: string, column: string, view: DatasetView): boolean {
    const entry = this.entries.get(JSON.stringify([version, column, view.filters]));
    return entry !== undefined && !entry.abandoned;
  }

  /**
   * The first column's summary, computing `columns` together (one shared pass) where not cached:
   * each column's entry waits on the batch, and the batch stops only when nobody waits on any of them.
   */
  getBatch(version: string, columns: readonly string[], view: DatasetView, compute: (signal: AbortSignal) => Promise<Map<string, ColumnSummary>>, signal: AbortSignal): Promise<ColumnSummary> {
    const first = columns[0] ?? '';
    if (this.has(version, first, view)) return this.get(version, first, view, () => Promise.reject(new Error('unreachable')), signal);
    const batch = new SharedTask(compute);
    let answer: Promise<ColumnSummary> | undefined;
    for (const column of columns) {
      if (column !== first && this.has(version, column, view)) continue;
      const p = this.get(version, column, view, async (own) => {
        const summary = (await batch.join(own)).get(column);
        if (!summary) throw new Error(`no summary of ${column}`);
        return summary;
      }, signal);
      if (column === first) answer = p;
      // The others are kept for whoever asks next, under the first one's signal: cancelled with it (and asked again later).
      else p.catch(() => undefined);
    }
    return answer ?? Promise.reject(new Error(`no summary of ${first}`));
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Columns summarized together in one pass: the one asked for and the next ones, up to this many. */
export const SUMMARY_BATCH = 64;

const isNumeric = (col: DatasetColumn): boolean => col.kind === 'integer' || col.kind === 'float' || col.kind === 'decimal';
const isTemporal = (col: DatasetColumn): boolean => col.kind === 'date' || col.kind === 'timestamp';
const isOrdered = (col: DatasetColumn): boolean => col.kind === 'string' || col.kind === 'boolean' || col.kind === 'time' || col.kind === 'interval';

/**
 * The first scan's answers for some columns of a view: its row count (count(*)) and each column's
 * counts, distinct, min/max, mean/std and quantiles (exact or approximate as asked), by column name.
 */
export interface FirstPass {
  readonly exact: boolean;
  readonly count: number;
  /** The column's value for one statistic (nn, d, lo, hi, mean, sd, xlo, xhi, q0…, top), if it was asked. */
  readonly at: (name: string, key: string) => Cell | undefined;
  readonly has: (name: string) => boolean;
  /**
   * A column's rows counted at and between sampled percentiles, if they were: at[k] rows equal to
   * cuts[k], below[k] rows strictly between cuts[k-1] and cuts[k] (below[0] under the first cut,
   * below[cuts.length] over the last).
   */
  readonly cut: (name: string) => CutCounts | undefined;
  /** A column's histogram counted in this scan on bin edges from a sample (one per bin, the last one open-ended), if it was. */
  readonly binned: (name: string) => { readonly edges: readonly number[]; readonly counts: readonly number[] } | undefined;
  /** A text column's sampled candidates counted exactly in this scan (by their text), if they were. */
  readonly counted: (name: string) => { readonly candidates: readonly Cell[]; readonly counts: ReadonlyMap<string, number> } | undefined;
}

/**
 * What a sample of the rows spread over the file says before the scan (spreadSample.ts): each
 * number and date column's range (as xOf numbers) and each text column's most frequent values.
 * With it the scan bins and counts as it goes, so the profile reads the file once.
 */
export interface ProfileSample {
  /** Each number or date column's sampled range, and its percentiles (1 to 99, distinct, ascending): the scan counts the rows between them. */
  readonly ranges: ReadonlyMap<string, { readonly lo: number; readonly hi: number; readonly cuts: readonly number[] }>;
  readonly candidates: ReadonlyMap<string, readonly Cell[]>;
}

export interface CutCounts {
  readonly cuts: readonly number[];
  readonly at: readonly number[];
  readonly below: readonly number[];
}

/**
 * The histogram() boundaries that count each cut's own rows apart from the gaps between cuts:
 * below(c) and c per cut (bin (b[i-1], b[i]]), below(c) left out where it is the cut before (an
 * empty gap), so a value repeated over many rows is found as itself, not spread over a bin.
 */
function cutBounds(cuts: readonly number[]): { bounds: number[]; gapped: boolean[] } {
  const bounds: number[] = [];
  const gapped = cuts.map((c, k) => {
    const b = below(c);
    const gap = k === 0 || b > (cuts[k - 1] ?? -Infinity);
    if (gap) bounds.push(b);
    bounds.push(c);
    return gap;
  });
  return { bounds, gapped };
}

/** The counts of a histogram() over cutBounds, as each cut's rows and each gap's. */
function cutCounts(cuts: readonly number[], counts: readonly number[]): CutCounts | undefined {
  const { bounds, gapped } = cutBounds(cuts);
  // histogram() lists the bin past the last bound only when a row falls in it.
  if (counts.length !== bounds.length + 1 && counts.length !== bounds.length) return undefined;
  const at: number[] = [];
  const under: number[] = [];
  let j = 0;
  gapped.forEach((gap) => {
    under.push(gap ? (counts[j++] ?? 0) : 0);
    at.push(counts[j++] ?? 0);
  });
  under.push(counts[j] ?? 0);
  return { cuts, at, below: under };
}

/** The sampled percentiles the scan counts rows at and between, for its quantiles (quantilesOf). */
const CUTS = Array.from({ length: 99 }, (_, k) => (k + 1) / 100);

/** Candidates a sample gives per text column: twice the values shown, so a value the sample undercounts can still rank. */
export const SAMPLE_CANDIDATES = 2 * TOP_VALUES;

/** The sample's ranges and candidates: one query over `bound` (the sample file read as the data is). */
export async function sampleProfile(run: SummaryRunner, bound: BoundRelation, names: readonly string[]): Promise<ProfileSample> {
  const cols = names.map((name) => findColumn(bound, name));
  const parts: string[] = [];
  const at = new Map<string, number>();
  for (const col of cols) {
    at.set(col.name, parts.length);
    if (isNumeric(col) || isTemporal(col)) parts.push(`min(${xOf(col)})`, `max(${xOf(col)})`, `to_json(quantile_disc(${xOf(col)}, [${CUTS.join(', ')}]))`);
    else if (col.kind === 'string' || col.kind === 'boolean') parts.push(`to_json(approx_top_k(${valueOf(col)}, ${SAMPLE_CANDIDATES}))`);
  }
  const ranges = new Map<string, { lo: number; hi: number; cuts: number[] }>();
  const candidates = new Map<string, Cell[]>();
  if (parts.length === 0) return { ranges, candidates };
  const row = (await run(`SELECT ${parts.join(', ')} FROM ${bound.rel.from}`, bound, 1)).rows[0] ?? [];
  for (const col of cols) {
    const i = at.get(col.name);
    if (i === undefined) continue;
    if (isNumeric(col) || isTemporal(col)) {
      const lo = finite(row[i]);
      const hi = finite(row[i + 1]);
      const json = row[i + 2];
      const listed = typeof json === 'string' ? ((JSON.parse(json) as unknown[] | null) ?? []).map(Number) : [];
      const cuts = [...new Set(listed.filter((c) => Number.isFinite(c)))].sort((a, b) => a - b);
      if (lo !== undefined && hi !== undefined) ranges.set(col.name, { lo, hi, cuts });
    } else {
      const list = typeof row[i] === 'string' ? (JSON.parse(row[i]) as Cell[] | null) : null;
      const kept = (list ?? []).filter((c) => c !== null);
      if (kept.length > 0) candidates.set(col.name, kept);
    }
  }
  return { ranges, candidates };
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
 * The first scan of summarizeColumns, on its own: a big text file's row count comes from it (the
 * file read once for both, before its table is built: fileDatasetSource.ts), and the summaries
 * asked for next reuse it.
 */
export async function firstPass(run: SummaryRunner, bound: BoundRelation, names: readonly string[], view: DatasetView, exact: boolean, sample?: ProfileSample): Promise<FirstPass> {
  const cols = names.map((name) => findColumn(bound, name));
  const where = whereSql(bound.rel, view, bound.params);
  const q = `[${QUANTILES.join(', ')}]`;
  const parts: string[] = ['count(*)'];
  const slots = new Map<string, Record<string, number>>();
  const derived = new Set<string>();
  const edgesOf = new Map<string, number[]>();
  const cutsOf = new Map<string, number[]>();
  const candidatesOf = new Map<string, Cell[]>();
  const slot = (name: string, key: string, sql: string): void => {
    const own = slots.get(name) ?? {};
    slots.set(name, own);
    own[key] = parts.length;
    parts.push(sql);
  };
  for (const col of cols) {
    const v = valueOf(col);
    const name = col.name;
    slot(name, 'nn', `count(${v})`);
    slot(name, 'd', exact ? `count(DISTINCT ${v})` : `approx_count_distinct(${v})`);
    if (isNumeric(col) || isTemporal(col)) {
      const x = xOf(col);
      slot(name, 'lo', `min(${v})`);
      slot(name, 'hi', `max(${v})`);
      // A date's mean and spread are not shown (nor worth their casts: a quarter second a column on 10M rows).
      if (isNumeric(col)) {
        slot(name, 'mean', `avg(${x})`);
        slot(name, 'sd', `stddev_samp(${x})`);
      }
      // The histogram's bounds as numbers: from min/max themselves where that is what the cast gives.
      if (boundsAreMinMax(col)) derived.add(name);
      else {
        slot(name, 'xlo', `min(${x})`);
        slot(name, 'xhi', `max(${x})`);
      }
      // One aggregate (DuckDB computes an aggregate named twice once), read out element by element so each value keeps its type.
      const range = exact ? undefined : sample?.ranges.get(name);
      if (range && range.cuts.length > 0) {
        // Rows counted at and between the sample's percentiles (a binary search a row, far cheaper than a t-digest): quantilesOf.
        // Bounds as text: a literal such as 0.9999999999999999 is read as a DECIMAL, whose cast to DOUBLE rounds it to 1.
        cutsOf.set(name, [...range.cuts]);
        slot(name, 'cuts', `to_json(map_values(histogram(CAST(${x} AS DOUBLE), [${cutBounds(range.cuts).bounds.map((c) => `'${c}'::DOUBLE`).join(', ')}])))`);
      } else {
        const quantile = exact ? (isNumeric(col) ? `quantile_cont(${v}, ${q})` : `quantile_disc(${v}, ${q})`) : `approx_quantile(${v}, ${q})`;
        QUANTILES.forEach((_, k) => slot(name, `q${k}`, `(${quantile})[${k + 1}]`));
      }
      // Binned in this scan on edges from the sample: bin k holds edge k <= x < edge k+1, the first and last open-ended.
      if (range) {
        const edges = sampleEdges(col, range.lo, range.hi);
        edgesOf.set(name, edges);
        slot(name, 'bins', `to_json(map_values(histogram(CAST(${x} AS DOUBLE), [${edges.slice(1, -1).map((e) => `'${below(e)}'::DOUBLE`).join(', ')}])))`);
      }
    } else {
      if (isOrdered(col)) {
        slot(name, 'lo', `min(${v})`);
        slot(name, 'hi', `max(${v})`);
      }
      const sampled = exact ? undefined : sample?.candidates.get(name);
      if (sampled) {
        // The sample's candidates counted exactly as the scan goes (a sketch's would need a second scan).
        const text = `CAST(${v} AS VARCHAR)`;
        candidatesOf.set(name, [...sampled]);
        slot(name, 'cands', `to_json(histogram(CASE WHEN ${text} IN (${sampled.map((c) => bound.params.bind(String(c))).join(', ')}) THEN ${text} END))`);
      } else if (!exact && (col.kind === 'string' || col.kind === 'boolean')) slot(name, 'top', `to_json(approx_top_k(${v}, ${TOP_VALUES}))`);
    }
  }
  const row = (await run(`SELECT ${parts.join(', ')} FROM ${bound.rel.from}${where}`, bound, 1)).rows[0] ?? [];
  return {
    exact,
    count: num(row[0]),
    at: (name, key) => {
      const own = slots.get(name);
      if (derived.has(name) && (key === 'xlo' || key === 'xhi')) return asNumber(own?.[key === 'xlo' ? 'lo' : 'hi'], row);
      const index = own?.[key];
      return index === undefined ? undefined : row[index];
    },
    has: (name) => slots.has(name),
    cut: (name) => {
      const cuts = cutsOf.get(name);
      const index = slots.get(name)?.cuts;
      if (!cuts || index === undefined) return undefined;
      const counts = typeof row[index] === 'string' ? ((JSON.parse(row[index]) as number[] | null) ?? []).map(Number) : [];
      return cutCounts(cuts, counts);
    },
    binned: (name) => {
      const edges = edgesOf.get(name);
      const index = slots.get(name)?.bins;
      if (!edges || index === undefined) return undefined;
      const counts = typeof row[index] === 'string' ? ((JSON.parse(row[index]) as number[] | null) ?? []).map(Number) : [];
      // histogram() leaves out the open last bin when no row falls in it.
      if (counts.length === edges.length - 2) counts.push(0);
      return { edges, counts: counts.length === edges.length - 1 ? counts : new Array<number>(edges.length - 1).fill(0) };
    },
    counted: (name) => {
      const candidates = candidatesOf.get(name);
      const index = slots.get(name)?.cands;
      if (!candidates || index === undefined) return undefined;
      const json = typeof row[index] === 'string' ? ((JSON.parse(row[index]) as Record<string, number> | null) ?? {}) : {};
      return { candidates, counts: new Map(Object.entries(json).map(([k, n]) => [k, Number(n)])) };
    },
  };
}

/**
 * Types whose min/max, read as a JavaScript number, equal min/max of xOf (a second min and max
 * over the cast cost a third of a second a column on 10M rows): doubles and floats as they are (a
 * float widens exactly), integers up to 64 bits (the engine sends those past 2^53 as digits, which
 * Number() rounds to nearest as DuckDB's cast does), and dates (yyyy-mm-dd, as epoch milliseconds;
 * dates the engine writes otherwise, BC or past 9999, get no histogram). HUGEINT, decimals and
 * timestamps keep their own min/max over the cast (their casts round or truncate otherwise).
 */
const boundsAreMinMax = (col: DatasetColumn): boolean => /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DATE)$/i.test(col.type);

function asNumber(index: number | undefined, row: readonly Cell[]): Cell | undefined {
  if (index === undefined) return undefined;
  const cell = row[index];
  if (typeof cell !== 'string') return cell;
  if (/^-?\d+$/.test(cell)) return Number(cell);
  return /^\d{4}-\d{2}-\d{2}$/.test(cell) ? Date.parse(`${cell}T00:00:00Z`) : undefined;
}

const xOf = (col: DatasetColumn): string => (isTemporal(col) ? `epoch_ms(CAST(${quoteIdent(col.name)} AS TIMESTAMP))` : `CAST(${valueOf(col)} AS DOUBLE)`);

/**
 * Summaries of several columns from two scans of the view in all (instead of two or three per
 * column): the first takes every column's counts, distinct, min/max, mean/std and quantiles (and,
 * past EXACT_ROWS, a space-saving sketch of each text column's most frequent values,
 * approx_top_k); the second bins every number and date column at once and counts those
 * candidates exactly. Up to EXACT_ROWS rows, top values are counted exactly per column (a cheap
 * GROUP BY at that size), as before. `first`, when it holds every column asked for with the same
 * exactness, stands for the first scan (taken ahead, over the same rows).
 */
export async function summarizeColumns(run: SummaryRunner, bind: () => BoundRelation, names: readonly string[], view: DatasetView, totalRows: number, first?: FirstPass, sample?: ProfileSample): Promise<Map<string, ColumnSummary>> {
  const exact = totalRows <= EXACT_ROWS;
  const pass = first && first.exact === exact && names.every((n) => first.has(n)) ? first : await firstPass(run, bind(), names, view, exact, exact ? undefined : sample);
  const shape = bind();
  const cols = names.map((name) => findColumn(shape, name));
  const count = pass.count;
  const at = (i: number, key: string): Cell | undefined => pass.at(names[i] ?? '', key);
  const json = (cell: Cell | undefined): unknown => (typeof cell === 'string' ? JSON.parse(cell) : null);

  // The second scan: every histogram, and the exact counts of the sketched top values, as one
  // GROUP BY of grouping sets (a bin number or a candidate per set, NULL for the rest): DuckDB's
  // hash aggregate took about half the CPU of a histogram() aggregate per column (bench: 10M rows).
  const second = bind();
  const keys: string[] = [];
  const bins: { i: number; lo: number; hi: number; n: number; at: number }[] = [];
  const tops: { i: number; candidates: Cell[]; at: number }[] = [];
  cols.forEach((col, i) => {
    const xlo = finite(at(i, 'xlo'));
    const xhi = finite(at(i, 'xhi'));
    if ((isNumeric(col) || isTemporal(col)) && xlo !== undefined && xhi !== undefined && xlo !== xhi && !pass.binned(col.name)) {
      const n = col.kind === 'integer' && xhi - xlo + 1 <= HISTOGRAM_BINS ? xhi - xlo + 1 : HISTOGRAM_BINS;
      const x = xOf(col);
      const loP = second.params.bind(xlo);
      const wP = second.params.bind((xhi - xlo) / n);
      bins.push({ i, lo: xlo, hi: xhi, n, at: keys.length });
      // NULL for a missing value; the maximum's bin (n) and any rounding past the ends are clamped below.
      keys.push(`CAST(floor((${x} - ${loP}) / ${wP}) AS BIGINT)`);
    }
    const sketched = at(i, 'top');
    if (sketched !== undefined) {
      const candidates = ((json(sketched) as Cell[] | null) ?? []).filter((c) => c !== null);
      if (candidates.length > 0) {
        const text = `CAST(${valueOf(col)} AS VARCHAR)`;
        const list = candidates.map((c) => second.params.bind(String(c))).join(', ');
        tops.push({ i, candidates, at: keys.length });
        keys.push(`CASE WHEN ${text} IN (${list}) THEN ${text} END`);
      }
    }
  });
  const grouped = keys.map(() => new Map<string, number>());
  if (keys.length > 0) {
    const most = bins.reduce((sum, b) => sum + b.n + 4, 0) + tops.reduce((sum, t) => sum + t.candidates.length + 1, 0) + 64;
    const sql = `SELECT ${keys.join(', ')}, count(*) FROM ${second.rel.from}${whereSql(second.rel, view, second.params)} GROUP BY GROUPING SETS (${keys.map((k) => `(${k})`).join(', ')})`;
    for (const row of (await run(sql, second, most)).rows) {
      const k = row.findIndex((cell, index) => index < keys.length && cell !== null);
      if (k >= 0) grouped[k]?.set(String(row[k]), num(row[keys.length]));
    }
  }

  const out = new Map<string, ColumnSummary>();
  for (const [i, col] of cols.entries()) {
    const nonNull = num(at(i, 'nn'));
    const base = { column: col.name, kind: col.kind, type: col.type, distinctApproximate: !exact, count, nulls: count - nonNull, distinct: num(at(i, 'd')) };
    const lo = at(i, 'lo');
    const minMax = lo !== null && lo !== undefined ? { min: lo, max: at(i, 'hi') ?? null } : {};
    if (isNumeric(col) || isTemporal(col)) {

      const mean = finite(at(i, 'mean'));
      const std = finite(at(i, 'sd'));
      const binned = bins.find((b) => b.i === i);
      let histogram: ColumnSummary['histogram'];
      const xlo = finite(at(i, 'xlo'));
      const xhi = finite(at(i, 'xhi'));
      const sampled = pass.binned(col.name);
      if (sampled && xlo !== undefined && xhi !== undefined && xlo !== xhi) {
        histogram = fitToRange(col, sampled.edges, sampled.counts, xlo, xhi);
      } else if (binned) {
        const counts = new Array<number>(binned.n).fill(0);
        for (const [key, value] of grouped[binned.at] ?? []) {
          const b = Math.max(0, Math.min(binned.n - 1, Number(key)));
          counts[b] = (counts[b] ?? 0) + value;
        }
        const width = (binned.hi - binned.lo) / binned.n;
        histogram = { edges: Array.from({ length: binned.n + 1 }, (_, k) => edgeCell(col, k === binned.n ? binned.hi : binned.lo + k * width)), counts };
      } else if (xlo !== undefined) {
        histogram = { edges: [edgeCell(col, xlo), edgeCell(col, xlo)], counts: [nonNull] };
      }
      out.set(col.name, {
        ...base,
        ...minMax,
        ...(isNumeric(col) && mean !== undefined ? { mean } : {}),
        ...(isNumeric(col) && std !== undefined ? { std } : {}),
        ...(nonNull > 0 ? { quantiles: quantilesOf(col, pass.cut(col.name), xlo, xhi) ?? QUANTILES.map((p, k) => ({ p, value: at(i, `q${k}`) ?? null })), quantilesApproximate: !exact } : {}),
        ...(histogram ? { histogram } : {}),
      });
      continue;
    }
    let topValues: { value: Cell; count: number }[] = [];
    let topValuesApproximate = false;
    const sketched = tops.find((t) => t.i === i);
    const counted = pass.counted(col.name);
    if (counted) {
      topValues = rankTop(counted.candidates.map((value) => ({ value, count: counted.counts.get(String(value)) ?? 0 })));
      topValuesApproximate = !certainTop(topValues, nonNull);
    } else if (sketched) {
      const byText = grouped[sketched.at] ?? new Map<string, number>();
      topValues = rankTop(sketched.candidates.map((value) => ({ value, count: byText.get(String(value)) ?? 0 })));
      topValuesApproximate = !certainTop(topValues, nonNull);
    } else if (exact) {
      const top = bind();
      const id = valueOf(col);
      const topWhere = whereSql(top.rel, view, top.params, [`${id} IS NOT NULL`]);
      const rows = await run(`SELECT ${id}, count(*) FROM ${top.rel.from}${topWhere} GROUP BY 1 ORDER BY 2 DESC, 1 ASC LIMIT ${TOP_VALUES}`, top, TOP_VALUES);
      topValues = rows.rows.map((r) => ({ value: r[0] ?? null, count: num(r[1]) }));
    }
    out.set(col.name, { ...base, ...(isOrdered(col) ? minMax : {}), topValues, ...(topValuesApproximate ? { topValuesApproximate } : {}) });
  }
  return out;
}

/**
 * Quantiles from the rows counted at and between a sample's percentiles, as quantile_cont takes
 * them (rank p × (n - 1), between the rows either side of it): a row among a cut's own rows is that
 * cut exactly (so heavy ties come out exact), a row in a gap between cuts is placed evenly inside
 * it (its ends the neighbouring cuts, or the exact min and max, which rows hold). Each gap holds
 * about 1% of the rows, so the rank is off by at most that share; integers rounded, dates as such.
 */
function quantilesOf(col: DatasetColumn, cut: CutCounts | undefined, lo: number | undefined, hi: number | undefined): { p: number; value: Cell }[] | undefined {
  if (!cut || lo === undefined || hi === undefined) return undefined;
  const n = cut.at.reduce((a, b) => a + b, 0) + cut.below.reduce((a, b) => a + b, 0);
  if (n === 0) return undefined;
  const m = cut.cuts.length;
  const integer = col.kind === 'integer';
  /** The value of the row at position i (0-based) in sorted order. */
  const rowAt = (i: number): number => {
    let before = 0;
    for (let k = 0; k <= m; k++) {
      const gap = cut.below[k] ?? 0;
      if (i < before + gap) {
        const t = i - before;
        const a = k === 0 ? lo : (cut.cuts[k - 1] ?? lo);
        const b = k === m ? hi : (cut.cuts[k] ?? hi);
        // The first gap starts at the min and the last ends at the max (rows hold both); a gap's other ends are cuts, not in it.
        const v = k === 0 ? a + ((b - a) * t) / gap : k === m ? a + ((b - a) * (t + 1)) / gap : a + ((b - a) * (t + 1)) / (gap + 1);
        const open = integer ? 1 : 0;
        return Math.max(k === 0 ? a : a + open, Math.min(k === m ? b : b - open, integer ? Math.round(v) : v));
      }
      before += gap;
      if (k < m && i < before + (cut.at[k] ?? 0)) return cut.cuts[k] ?? lo;
      if (k < m) before += cut.at[k] ?? 0;
    }
    return hi;
  };
  return QUANTILES.map((p) => {
    const rank = p * (n - 1);
    const low = rowAt(Math.floor(rank));
    const v = Math.max(lo, Math.min(hi, low + (rank - Math.floor(rank)) * (rowAt(Math.ceil(rank)) - low)));
    return { p, value: integer ? Math.round(v) : isTemporal(col) ? edgeCell(col, v) : v };
  });
}

/** Counted candidates, most frequent first (ties by value), the first TOP_VALUES of those seen. */
function rankTop(counted: { value: Cell; count: number }[]): { value: Cell; count: number }[] {
  const seen = counted.filter((t) => t.count > 0);
  seen.sort((a, b) => b.count - a.count || (String(a.value) < String(b.value) ? -1 : String(a.value) > String(b.value) ? 1 : 0));
  return seen.slice(0, TOP_VALUES);
}

/**
 * A histogram counted on a sample's bin edges, fitted to the exact range the same scan found: bins
 * wholly outside [min, max] dropped (the sample's nice edges overshoot), the end edges set to the
 * min and max. Values past the sampled range fell into the end bins, which then reach out to the
 * min or max and are wider than the others: `endsWidened` says so.
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

/**
 * Whether sketched top values, counted exactly, are the column's true top values: every value not
 * listed shares the rows the listed ones leave (at most nonNull less their sum), so none can
 * reach the last one listed when those rows are fewer than its count (a tie could come first by
 * value), or when nothing is left. Otherwise they are frequent values, not surely the most frequent.
 */
export function certainTop(top: readonly { readonly count: number }[], nonNull: number): boolean {
  const left = nonNull - top.reduce((sum, t) => sum + t.count, 0);
  const last = top[top.length - 1];
  return left <= 0 || (top.length >= TOP_VALUES && last !== undefined && last.count > left);
}

function edgeCell(col: DatasetColumn, v: number): Cell {
  return col.kind === 'date' ? new Date(v).toISOString().slice(0, 10) : col.kind === 'timestamp' ? new Date(v).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '') : v;
}
