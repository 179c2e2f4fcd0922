// A DatasetView as SQL over a relation: WHERE from the filters (all must hold), ORDER BY from the
// sort keys with NULLS LAST both ways and the source's row order last, so ties keep file order
// (DuckDB's sort is not stable by itself). Values are bound, identifiers quoted (sqlText.ts).
import { UserError } from '../../common/errors';
import type { Cell, ColumnFilter, DatasetColumn, DatasetView } from '../datasetSource';
import type { TablePrep } from './protocol';
import { castableType, quoteIdent, type SqlParams } from './sqlText';

/** Most-frequent values a topK filter may keep: the grid offers small k; a model could ask for more. */
export const MAX_TOP_K = 10_000;

export interface ViewRelation {
  /** `read_parquet($1, ...)`, `"t_…"`: what FROM reads. */
  readonly from: string;
  /** An expression in the source's row order (file_row_number, rowid). */
  readonly order: string;
  readonly columns: readonly DatasetColumn[];
  /** The file's name, for messages. */
  readonly label: string;
}

/** One query's FROM: the relation, its bound values so far, and the tables it needs built first. */
export interface BoundRelation {
  readonly rel: ViewRelation;
  readonly params: SqlParams;
  readonly prepare: readonly TablePrep[];
}

function column(rel: ViewRelation, name: string): DatasetColumn {
  const found = rel.columns.find((c) => c.name === name);
  if (!found) throw new UserError(`${rel.label} has no column "${name}" (its columns: ${rel.columns.slice(0, 20).map((c) => c.name).join(', ')}${rel.columns.length > 20 ? ', …' : ''}).`);
  return found;
}

/** A bound value compared with a column: dates, times, decimals and intervals cast to the column's type. */
function valueFor(col: DatasetColumn, value: Cell, params: SqlParams): string {
  const placeholder = params.bind(col.kind === 'string' && value !== null ? String(value) : value);
  const type = castableType(col.type);
  if (type && (col.kind === 'date' || col.kind === 'timestamp' || col.kind === 'time' || col.kind === 'decimal' || col.kind === 'interval')) return `CAST(${placeholder} AS ${type})`;
  return placeholder;
}

/**
 * A column as the view sees it: a float's NaN is missing (NULL), as pandas, the summaries and the
 * kernel grid take it, so "is null" finds it, a sort puts it last both ways, a range or top-k never
 * keeps it, and the grid shows it empty rather than as the text "NaN".
 */
export function valueOf(col: DatasetColumn): string {
  const id = quoteIdent(col.name);
  return col.kind === 'float' ? `(CASE WHEN isnan(${id}) THEN NULL ELSE ${id} END)` : id;
}

function condition(rel: ViewRelation, filter: ColumnFilter, params: SqlParams): string {
  const col = column(rel, filter.column);
  const id = valueOf(col);
  switch (filter.op) {
    case 'range': {
      const parts: string[] = [];
      if (filter.min !== undefined && filter.min !== null) parts.push(`${id} >= ${valueFor(col, filter.min, params)}`);
      if (filter.max !== undefined && filter.max !== null) parts.push(`${id} <= ${valueFor(col, filter.max, params)}`);
      return parts.length ? parts.join(' AND ') : `${id} IS NOT NULL`;
    }
    case 'equals':
      return filter.value === null ? `${id} IS NULL` : `${id} = ${valueFor(col, filter.value, params)}`;
    case 'contains': {
      const text = `CAST(${id} AS VARCHAR)`;
      return filter.caseSensitive ? `contains(${text}, ${params.bind(filter.text)})` : `contains(lower(${text}), lower(${params.bind(filter.text)}))`;
    }
    case 'isNull':
      return filter.negate ? `${id} IS NOT NULL` : `${id} IS NULL`;
    case 'topK': {
      // The k most frequent non-null values of the whole source, ties by value: Copy as Code does the same.
      const k = Math.max(1, Math.min(MAX_TOP_K, Math.trunc(filter.k)));
      return `${id} IN (SELECT ${id} FROM ${rel.from} WHERE ${id} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 ASC LIMIT ${k})`;
    }
  }
}

/** ` WHERE …` for the view's filters, or ''. */
export function whereSql(rel: ViewRelation, view: Pick<DatasetView, 'filters'>, params: SqlParams, extra: readonly string[] = []): string {
  const parts = [...view.filters.map((f) => `(${condition(rel, f, params)})`), ...extra];
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

/** ` ORDER BY …` for the view's sort keys, the source's order last; '' when unsorted (the scan is already in file order). */
export function orderSql(rel: ViewRelation, view: Pick<DatasetView, 'sort'>): string {
  if (view.sort.length === 0) return '';
  const keys = view.sort.map((k) => `${valueOf(column(rel, k.column))} ${k.descending ? 'DESC' : 'ASC'} NULLS LAST`);
  return ` ORDER BY ${[...keys, `${rel.order} ASC`].join(', ')}`;
}

/** The columns as a select list, in order (a float's NaN as NULL). */
export function selectList(rel: ViewRelation): string {
  return rel.columns.map((c) => (c.kind === 'float' ? `${valueOf(c)} AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(', ');
}
