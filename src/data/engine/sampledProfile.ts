// The one-scan profile of a big text file (columnSummary.ts firstPass) on a sample spread over the
// file (spreadSample.ts): the sample gives each number or date column its quantile cuts and "nice"
// bin edges and each text column its top-value candidates; the scan then counts every row against
// them. Quantiles are interpolated between the counted cuts (approximate, said in the summary);
// histograms and candidates' counts are exact.
import type { Cell, ColumnSummary, DatasetColumn } from '../datasetSource';
import { edgeCell, findColumn, finite, HISTOGRAM_BINS, isNumeric, isTemporal, QUANTILES, TOP_VALUES, xOf, type SummaryRunner } from './summaryTerms';
import { valueOf, type BoundRelation } from './viewSql';

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
 * Quantiles from the rows counted at and between a sample's percentiles, as quantile_cont takes
 * them (rank p × (n - 1), between the rows either side of it): a row among a cut's own rows is that
 * cut exactly (so heavy ties come out exact), a row in a gap between cuts is placed evenly inside
 * it (its ends the neighbouring cuts, or the exact min and max, which rows hold). Each gap holds
 * about 1% of the rows, so the rank is off by at most that share; integers rounded, dates as such.
 */
export function quantilesOf(col: DatasetColumn, cut: CutCounts | undefined, lo: number | undefined, hi: number | undefined): { p: number; value: Cell }[] | undefined {
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
 * How the scan counts a sampled number or date column: one histogram() over its quantile cuts'
 * bounds (cutBounds) and its bin edges' bounds merged, so a row costs one binary search, not two
 * aggregates (each histogram() cost about 0.4 s of CPU a column on 10M rows).
 */
export interface SampledCounting {
  readonly cuts: readonly number[];
  readonly edges: readonly number[];
  readonly bounds: readonly number[];
}

/** histogram() bounds that count bin k of `edges` as edge k <= x < edge k+1, the first and last bins open-ended. */
const binBounds = (edges: readonly number[]): number[] => edges.slice(1, -1).map(below);

export function sampledCounting(col: DatasetColumn, range: { readonly lo: number; readonly hi: number; readonly cuts: readonly number[] }): SampledCounting {
  const cuts = [...range.cuts];
  const edges = sampleEdges(col, range.lo, range.hi);
  const bounds = [...new Set([...(cuts.length > 0 ? cutBounds(cuts).bounds : []), ...binBounds(edges)])].sort((a, b) => a - b);
  return { cuts, edges, bounds };
}

/**
 * The scan's aggregate for a SampledCounting: its counts as a JSON list, one a bound and the open
 * bin past the last bound last. Bounds as text: a literal such as 0.9999999999999999 is read as a
 * DECIMAL, whose cast to DOUBLE rounds it to 1.
 */
export function countingSql(col: DatasetColumn, counting: SampledCounting): string {
  return `to_json(map_values(histogram(CAST(${xOf(col)} AS DOUBLE), [${counting.bounds.map((b) => `'${b}'::DOUBLE`).join(', ')}])))`;
}

/**
 * Counts over `bounds` (bin i holds bounds[i-1] < x <= bounds[i], then the open bin) summed into
 * the bins of `subset`, a subset of them: what histogram() would have counted over `subset`.
 * Undefined when the counts do not fit the bounds.
 */
function regroup(bounds: readonly number[], counts: readonly number[], subset: readonly number[]): number[] | undefined {
  // histogram() lists the bin past the last bound only when a row falls in it.
  if (counts.length !== bounds.length + 1 && counts.length !== bounds.length) return undefined;
  const out = new Array<number>(subset.length + 1).fill(0);
  let j = 0;
  bounds.forEach((b, i) => {
    while (j < subset.length && (subset[j] ?? Infinity) < b) j++;
    out[j] = (out[j] ?? 0) + (counts[i] ?? 0);
  });
  out[subset.length] = (out[subset.length] ?? 0) + (counts[bounds.length] ?? 0);
  return out;
}

/** A SampledCounting's rows at and between its cuts, if it has cuts. */
export function countedCuts(counting: SampledCounting, counts: readonly number[]): CutCounts | undefined {
  if (counting.cuts.length === 0) return undefined;
  const regrouped = regroup(counting.bounds, counts, cutBounds(counting.cuts).bounds);
  return regrouped ? cutCounts(counting.cuts, regrouped) : undefined;
}

/** A SampledCounting's histogram on its sample's edges (all zero if the counts do not fit). */
export function countedBins(counting: SampledCounting, counts: readonly number[]): { readonly edges: readonly number[]; readonly counts: readonly number[] } {
  const regrouped = regroup(counting.bounds, counts, binBounds(counting.edges));
  return { edges: counting.edges, counts: regrouped ?? new Array<number>(counting.edges.length - 1).fill(0) };
}

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
