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

export async function summarizeColumn(run: SummaryRunner, bind: () => BoundRelation, name: string, view: DatasetView, totalRows: number): Promise<ColumnSummary> {
  const bound = bind();
  const col = findColumn(bound, name);
  const id = quoteIdent(col.name);
  const where = whereSql(bound.rel, view, bound.params);
  const exact = totalRows <= EXACT_ROWS;
  // NaN is missing (viewSql.ts valueOf), so it is not a distinct value either, as in pandas' nunique.
  const distinct = exact ? `count(DISTINCT ${valueOf(col)})` : `approx_count_distinct(${valueOf(col)})`;
  const numeric = col.kind === 'integer' || col.kind === 'float' || col.kind === 'decimal';
  const temporal = col.kind === 'date' || col.kind === 'timestamp';
  const base = { column: col.name, kind: col.kind, type: col.type, distinctApproximate: !exact };

  if (numeric || temporal) {
    // x: the value as a double for means and bins (NaN counted as missing, as pandas does).
    const x = temporal ? `epoch_ms(CAST(${id} AS TIMESTAMP))` : col.kind === 'float' ? `CASE WHEN isnan(${id}) THEN NULL ELSE CAST(${id} AS DOUBLE) END` : `CAST(${id} AS DOUBLE)`;
    const valueCol = col.kind === 'float' ? `CASE WHEN isnan(${id}) THEN NULL ELSE ${id} END` : id;
    const q = `[${QUANTILES.join(', ')}]`;
    const quantile = exact ? (numeric ? `quantile_cont(${valueCol}, ${q})` : `quantile_disc(${valueCol}, ${q})`) : `approx_quantile(${valueCol}, ${q})`;
    const sql =
      `SELECT * EXCLUDE (__q), ${QUANTILES.map((_, i) => `__q[${i + 1}]`).join(', ')} FROM (` +
      `SELECT count(*) AS __n, count(${valueCol}) AS __nn, ${distinct} AS __d, min(${valueCol}) AS __lo, max(${valueCol}) AS __hi, ` +
      `avg(${x}) AS __mean, stddev_samp(${x}) AS __sd, min(${x}) AS __xlo, max(${x}) AS __xhi, ${quantile} AS __q FROM ${bound.rel.from}${where})`;
    const row = (await run(sql, bound, 1)).rows[0] ?? [];
    const count = num(row[0]);
    const nonNull = num(row[1]);
    const summary: ColumnSummary = {
      ...base,
      count,
      nulls: count - nonNull,
      distinct: num(row[2]),
      ...(row[3] !== null && row[3] !== undefined ? { min: row[3], max: row[4] ?? null } : {}),
      ...(numeric && finite(row[5]) !== undefined ? { mean: finite(row[5]) } : {}),
      ...(numeric && finite(row[6]) !== undefined ? { std: finite(row[6]) } : {}),
      ...(nonNull > 0 ? { quantiles: QUANTILES.map((p, i) => ({ p, value: row[9 + i] ?? null })), quantilesApproximate: !exact } : {}),
    };
    const xlo = finite(row[7]);
    const xhi = finite(row[8]);
    if (xlo === undefined || xhi === undefined) return summary;
    return { ...summary, histogram: await histogram(run, bind, col, view, x, xlo, xhi, nonNull) };
  }

  const ordered = col.kind === 'string' || col.kind === 'boolean' || col.kind === 'time' || col.kind === 'interval';
  const stats = `SELECT count(*), count(${id}), ${distinct}${ordered ? `, min(${id}), max(${id})` : ''} FROM ${bound.rel.from}${where}`;
  const row = (await run(stats, bound, 1)).rows[0] ?? [];
  const count = num(row[0]);
  const top = bind();
  const topWhere = whereSql(top.rel, view, top.params, [`${id} IS NOT NULL`]);
  const tops = await run(`SELECT ${id}, count(*) FROM ${top.rel.from}${topWhere} GROUP BY 1 ORDER BY 2 DESC, 1 ASC LIMIT ${TOP_VALUES}`, top, TOP_VALUES);
  return {
    ...base,
    count,
    nulls: count - num(row[1]),
    distinct: num(row[2]),
    ...(ordered && row[3] !== null && row[3] !== undefined ? { min: row[3], max: row[4] ?? null } : {}),
    topValues: tops.rows.map((r) => ({ value: r[0] ?? null, count: num(r[1]) })),
  };
}

async function histogram(run: SummaryRunner, bind: () => BoundRelation, col: DatasetColumn, view: DatasetView, x: string, lo: number, hi: number, nonNull: number): Promise<{ edges: Cell[]; counts: number[] }> {
  const edgeCell = (v: number): Cell => (col.kind === 'date' ? new Date(v).toISOString().slice(0, 10) : col.kind === 'timestamp' ? new Date(v).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '') : v);
  if (lo === hi) return { edges: [edgeCell(lo), edgeCell(hi)], counts: [nonNull] };
  // Integers over a small range: one bin per value.
  const bins = col.kind === 'integer' && hi - lo + 1 <= HISTOGRAM_BINS ? hi - lo + 1 : HISTOGRAM_BINS;
  const width = (hi - lo) / bins;
  const bound = bind();
  const where = whereSql(bound.rel, view, bound.params, [`${x} IS NOT NULL`]);
  const loP = bound.params.bind(lo);
  const wP = bound.params.bind(width);
  const result = await run(`SELECT least(CAST(floor((${x} - ${loP}) / ${wP}) AS BIGINT), ${bins - 1}), count(*) FROM ${bound.rel.from}${where} GROUP BY 1 ORDER BY 1`, bound, bins + 1);
  const counts = new Array<number>(bins).fill(0);
  for (const [b, n] of result.rows) {
    const i = Math.max(0, Math.min(bins - 1, num(b)));
    counts[i] = (counts[i] ?? 0) + num(n);
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => edgeCell(i === bins ? hi : lo + i * width));
  return { edges, counts };
}

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

  clear(): void {
    this.entries.clear();
  }
}
