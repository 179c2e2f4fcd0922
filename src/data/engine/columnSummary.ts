// Column summaries and label balance in SQL over a view's rows. Exact distinct counts and quantiles
// up to EXACT_ROWS rows; beyond, DuckDB's HyperLogLog (approx_count_distinct) and t-digest
// (approx_quantile), or for a big text file quantiles and histograms from a sample spread over it
// (sampledProfile.ts), which the summary says (sampledRows). Histograms are equal-width over
// [min, max] (or on the sample's nice edges); dates and timestamps are binned on epoch milliseconds
// and their edges given back as dates.
import { SharedTask } from '../sharedTask';
import type { Cell, ColumnSummary, DatasetColumn, DatasetView, LabelBalance } from '../datasetSource';
import { candidateCounts, candidatePosition, countDistinctExactly, fewValues, fitToRange, hashSampleDistinct, hashSampleError, hashShare, SAMPLED_VALUES_MIN, withCounted, type ProfileSample, type SampledNumbers, type UniqueAs } from './sampledProfile';
import { edgeCell, findColumn, finite, HISTOGRAM_BINS, isNumeric, isTemporal, num, QUANTILES, TOP_VALUES, xOf, type SummaryRunner } from './summaryTerms';
import { quoteIdent } from './sqlText';
import { valueOf, whereSql, type BoundRelation } from './viewSql';

export const EXACT_ROWS = 1_000_000;

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
    return this.task(version, column, view, compute).join(signal);
  }

  /** The cached work for a summary, or a new one running `compute`. */
  private task(version: string, column: string, view: DatasetView, compute: (signal: AbortSignal) => Promise<ColumnSummary>): SharedTask<ColumnSummary> {
    const key = JSON.stringify([version, column, view.filters]);
    const entry = this.entries.get(key);
    if (entry && !entry.abandoned) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    const task = new SharedTask(compute);
    this.entries.set(key, task);
    // A failed or cancelled summary is computed again next time.
    task.promise.catch(() => {
      if (this.entries.get(key) === task) this.entries.delete(key);
    });
    while (this.entries.size > 256) this.entries.delete(this.entries.keys().next().value as string);
    return task;
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
    const releases: (() => void)[] = [];
    for (const column of columns) {
      if (column !== first && this.has(version, column, view)) continue;
      const task = this.task(version, column, view, async (own) => {
        const summary = (await batch.join(own)).get(column);
        if (!summary) throw new Error(`no summary of ${column}`);
        return summary;
      });
      if (column === first) answer = task.join(signal);
      else releases.push(task.hold());
    }
    // The others are kept for whoever asks next, held under the first one's signal: cancelled with
    // it (and asked again later). One listener lets go of them all (one per column put 64 on the
    // signal: Node warns past 10), removed when the batch settles.
    const letGo = (): void => releases.forEach((release) => release());
    if (signal.aborted) letGo();
    else if (releases.length) {
      signal.addEventListener('abort', letGo, { once: true });
      const done = (): void => signal.removeEventListener('abort', letGo);
      batch.promise.then(done, done);
    }
    return answer ?? Promise.reject(new Error(`no summary of ${first}`));
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Columns summarized together in one pass: the one asked for and the next ones, up to this many. */
export const SUMMARY_BATCH = 64;

/** The columns one pass summarizes for `column`: it, then the next ones not summarized yet (wrapping round), up to SUMMARY_BATCH. */
export function summaryBatch(names: readonly string[], column: string, summarized: (name: string) => boolean): string[] {
  const from = Math.max(0, names.indexOf(column));
  return [column, ...names.slice(from + 1), ...names.slice(0, from)].filter((name, i) => i === 0 || !summarized(name)).slice(0, SUMMARY_BATCH);
}

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
  /** The distinct count's relative standard error: 0 when counted exactly, undefined when HyperLogLog's (unknown). */
  readonly distinctError: (name: string) => number | undefined;
  /** A number or date column's quantiles and histogram from the sample instead of this scan, and the sample's rows, if they were. */
  readonly sampled: (name: string) => { readonly numbers: SampledNumbers; readonly rows: number } | undefined;
  /** A text column's sampled candidates counted exactly in this scan (by their text), if they were. */
  readonly counted: (name: string) => { readonly candidates: readonly Cell[]; readonly counts: ReadonlyMap<string, number> } | undefined;
  /** A text column's non-null sampled values, and what they look like, when none repeated (idLike): its top values were not counted. */
  readonly unique: (name: string) => { readonly values: number; readonly as: UniqueAs } | undefined;
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
  const sampledOf = new Map<string, SampledNumbers>();
  const candidatesOf = new Map<string, Cell[]>();
  /** Text columns whose distinct count and min/max are over the rows that are no candidate, to be joined with the candidates' (fewValues). */
  const joined = new Set<string>();
  /** Columns whose distinct values are counted exactly. */
  const distinctExact = new Set<string>();
  /** Hash-sampled columns' share of the hash space (hashSampleDistinct). */
  const hashShares = new Map<string, number>();
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
    // Text candidates from the sample, counted exactly as the scan goes (a sketch's would need a
    // second scan); none for an ID-like column (idLike), whose values are not counted at all.
    const unique = exact || isNumeric(col) || isTemporal(col) ? undefined : sample?.unique.get(name);
    const sampled = exact || isNumeric(col) || isTemporal(col) ? undefined : sample?.candidates.get(name);
    const position = sampled ? candidatePosition(col, sampled, (value) => bound.params.bind(value)) : undefined;
    const rest = sampled && position && fewValues(col, sampled) ? ` FILTER (WHERE ${position} IS NULL)` : '';
    if (rest) joined.add(name);
    // With a sample: counted exactly where its values repeat, else estimated from a share of the hashes (hashSampleDistinct); without, HyperLogLog.
    const seen = exact ? undefined : sample?.distinct.get(name);
    if (exact || (seen && countDistinctExactly(seen, sample?.share ?? 1))) {
      distinctExact.add(name);
      slot(name, 'd', `count(DISTINCT ${v})${rest}`);
    } else if (seen) {
      const share = hashShare(seen, sample?.share ?? 1);
      const byHash = hashSampleDistinct(v, share);
      hashShares.set(name, share);
      slot(name, 'd', byHash.estimate);
      slot(name, 'dk', byHash.hashes);
    } else slot(name, 'd', `approx_count_distinct(${v})${rest}`);
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
      // Sampled: the quantiles and histogram are the sample's (sampledProfile.ts), nothing to count here.
      const range = exact ? undefined : sample?.ranges.get(name);
      if (range) sampledOf.set(name, range);
      // A mostly-null column's few sampled values say little of its quantiles: counted exactly here
      // instead, cheap since the column has few values (about SAMPLED_VALUES_MIN × file size / sample size: 64k in 1 GB).
      if (range && range.values < SAMPLED_VALUES_MIN) {
        const quantile = isNumeric(col) ? `quantile_cont(${v}, ${q})` : `quantile_disc(${v}, ${q})`;
        QUANTILES.forEach((_, k) => slot(name, `q${k}`, `(${quantile})[${k + 1}]`));
      } else if (!range) {
        // One aggregate (DuckDB computes an aggregate named twice once), read out element by element so each value keeps its type.
        const quantile = exact ? (isNumeric(col) ? `quantile_cont(${v}, ${q})` : `quantile_disc(${v}, ${q})`) : `approx_quantile(${v}, ${q})`;
        QUANTILES.forEach((_, k) => slot(name, `q${k}`, `(${quantile})[${k + 1}]`));
      }
    } else {
      if (isOrdered(col)) {
        slot(name, 'lo', `min(${v})${rest}`);
        slot(name, 'hi', `max(${v})${rest}`);
      }
      if (sampled && position) {
        candidatesOf.set(name, [...sampled]);
        slot(name, 'cands', `to_json(histogram(${position}))`);
      } else if (!exact && unique === undefined && (col.kind === 'string' || col.kind === 'boolean')) slot(name, 'top', `to_json(approx_top_k(${v}, ${TOP_VALUES}))`);
    }
  }
  const row = (await run(`SELECT ${parts.join(', ')} FROM ${bound.rel.from}${where}`, bound, 1)).rows[0] ?? [];
  const counted = (name: string): ReturnType<FirstPass['counted']> => {
    const candidates = candidatesOf.get(name);
    const index = slots.get(name)?.cands;
    if (!candidates || index === undefined) return undefined;
    const json = typeof row[index] === 'string' ? ((JSON.parse(row[index]) as Record<string, number> | null) ?? {}) : {};
    return { candidates, counts: candidateCounts(candidates, json) };
  };
  return {
    exact,
    count: num(row[0]),
    at: (name, key) => {
      const own = slots.get(name);
      if (derived.has(name) && (key === 'xlo' || key === 'xhi')) return asNumber(own?.[key === 'xlo' ? 'lo' : 'hi'], row);
      const index = own?.[key];
      const cell = index === undefined ? undefined : row[index];
      const counts = joined.has(name) && (key === 'd' || key === 'lo' || key === 'hi') ? counted(name)?.counts : undefined;
      return counts && (key === 'd' || key === 'lo' || key === 'hi') ? withCounted(key, cell, counts) : cell;
    },
    has: (name) => slots.has(name),
    distinctError: (name) => {
      if (distinctExact.has(name)) return 0;
      const own = slots.get(name);
      const share = hashShares.get(name);
      return own?.dk === undefined || share === undefined ? undefined : hashSampleError(num(row[own.dk]), share);
    },
    sampled: (name) => {
      const numbers = sampledOf.get(name);
      return numbers && sample ? { numbers, rows: sample.rows } : undefined;
    },
    counted,
    unique: (name) => (exact ? undefined : sample?.unique.get(name)),
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

/**
 * Summaries of several columns from two scans of the view in all (instead of two or three per
 * column): the first takes every column's counts, distinct, min/max, mean/std and quantiles (and,
 * past EXACT_ROWS, a space-saving sketch of each text column's most frequent values,
 * approx_top_k); the second bins every number and date column at once and counts those
 * candidates exactly. Up to EXACT_ROWS rows, top values are counted exactly per column (a cheap
 * GROUP BY at that size), as before. With a sample (a big text file, unfiltered) there is no
 * second scan: the histograms and quantiles are the sample's and its candidates are counted in the
 * first. `first`, when it holds every column asked for with the same exactness, stands for the
 * first scan (taken ahead, over the same rows).
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
    if ((isNumeric(col) || isTemporal(col)) && xlo !== undefined && xhi !== undefined && xlo !== xhi && !pass.sampled(col.name)) {
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
    // An estimate is never above the values there are (HyperLogLog's can be, by a fifth).
    const error = pass.distinctError(col.name);
    const distinct = Math.min(nonNull, Math.round(num(at(i, 'd'))));
    const base = { column: col.name, kind: col.kind, type: col.type, distinctApproximate: error !== 0, ...(error ? { distinctError: error } : {}), count, nulls: count - nonNull, distinct };
    const lo = at(i, 'lo');
    const minMax = lo !== null && lo !== undefined ? { min: lo, max: at(i, 'hi') ?? null } : {};
    if (isNumeric(col) || isTemporal(col)) {

      const mean = finite(at(i, 'mean'));
      const std = finite(at(i, 'sd'));
      const binned = bins.find((b) => b.i === i);
      let histogram: ColumnSummary['histogram'];
      const xlo = finite(at(i, 'xlo'));
      const xhi = finite(at(i, 'xhi'));
      const sampled = pass.sampled(col.name);
      // Quantiles: exact up to EXACT_ROWS, for a column of one value (its min) and for a column with few sampled values (counted in the first scan).
      const constant = !exact && xlo !== undefined && xlo === xhi;
      const few = sampled !== undefined && sampled.numbers.values < SAMPLED_VALUES_MIN;
      const quantiles = constant ? QUANTILES.map((p) => ({ p, value: lo ?? null })) : ((few ? undefined : sampledQuantiles(col, sampled?.numbers, xlo, xhi)) ?? QUANTILES.map((p, k) => ({ p, value: at(i, `q${k}`) ?? null })));
      const quantilesApproximate = !exact && !constant && !few;
      if (sampled && xlo !== undefined && xhi !== undefined && xlo !== xhi) {
        histogram = fitToRange(col, sampled.numbers.edges, sampled.numbers.counts, xlo, xhi);
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
        ...(nonNull > 0 ? { quantiles, quantilesApproximate } : {}),
        ...(histogram ? { histogram } : {}),
        // A column of one value has its one bin and its quantiles exact (its min).
        ...(sampled && nonNull > 0 && xlo !== xhi ? { sampledRows: sampled.rows, sampledValues: sampled.numbers.values } : {}),
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
    const unique = pass.unique(col.name);
    out.set(col.name, { ...base, ...(isOrdered(col) ? minMax : {}), topValues, ...(topValuesApproximate ? { topValuesApproximate } : {}), ...(unique !== undefined ? { uniqueInSample: unique.values, uniqueAs: unique.as } : {}) });
  }
  return out;
}

/** The sample's quantiles kept inside the exact [min, max] (a row that parsed wrongly in the sample could lie outside); dates as such. */
function sampledQuantiles(col: DatasetColumn, sampled: SampledNumbers | undefined, lo: number | undefined, hi: number | undefined): { p: number; value: Cell }[] | undefined {
  if (!sampled || lo === undefined || hi === undefined) return undefined;
  return QUANTILES.map((p, k) => {
    const v = Math.max(lo, Math.min(hi, sampled.quantiles[k] ?? lo));
    return { p, value: isTemporal(col) ? edgeCell(col, v) : v };
  });
}

/** Counted candidates, most frequent first (ties by value), the first TOP_VALUES of those seen. */
function rankTop(counted: { value: Cell; count: number }[]): { value: Cell; count: number }[] {
  const seen = counted.filter((t) => t.count > 0);
  seen.sort((a, b) => b.count - a.count || (String(a.value) < String(b.value) ? -1 : String(a.value) > String(b.value) ? 1 : 0));
  return seen.slice(0, TOP_VALUES);
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
