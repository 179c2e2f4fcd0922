// What both column-summary paths share (columnSummary.ts, sampledProfile.ts): the figures shown,
// how a column's values are read as numbers in SQL, and how a number is shown back as a date.
import { UserError } from '../../common/errors';
import type { Cell, DatasetColumn } from '../datasetSource';
import type { QueryResult } from './engineClient';
import { quoteIdent } from './sqlText';
import { valueOf, type BoundRelation } from './viewSql';

export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
export const HISTOGRAM_BINS = 20;
export const TOP_VALUES = 10;

export type SummaryRunner = (sql: string, bound: BoundRelation, maxRows: number) => Promise<QueryResult>;

export function findColumn(bound: BoundRelation, name: string): DatasetColumn {
  const col = bound.rel.columns.find((c) => c.name === name);
  if (!col) throw new UserError(`${bound.rel.label} has no column "${name}".`);
  return col;
}

export const num = (cell: Cell | undefined): number => (typeof cell === 'number' ? cell : Number(cell ?? 0));
export const finite = (cell: Cell | undefined): number | undefined => (typeof cell === 'number' && Number.isFinite(cell) ? cell : undefined);

export const isNumeric = (col: DatasetColumn): boolean => col.kind === 'integer' || col.kind === 'float' || col.kind === 'decimal';
export const isTemporal = (col: DatasetColumn): boolean => col.kind === 'date' || col.kind === 'timestamp';

/** A number or date column's values as doubles (dates and timestamps as epoch milliseconds). */
export const xOf = (col: DatasetColumn): string => (isTemporal(col) ? `epoch_ms(CAST(${quoteIdent(col.name)} AS TIMESTAMP))` : `CAST(${valueOf(col)} AS DOUBLE)`);

export function edgeCell(col: DatasetColumn, v: number): Cell {
  return col.kind === 'date' ? new Date(v).toISOString().slice(0, 10) : col.kind === 'timestamp' ? new Date(v).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '') : v;
}
