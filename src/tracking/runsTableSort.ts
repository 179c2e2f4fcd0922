import type { RunsTableCell, RunsTableRow } from './runsTableProtocol';

// Sorting the runs table's rows across sources (runs in the page: no Node, no vscode). Missing
// values go last whichever way a column is sorted, and NaN just before them: a run without the
// metric, or one that diverged, is never "best".

export type FixedColumn = 'name' | 'status' | 'source' | 'experiment' | 'started' | 'duration';

export interface TableSort {
  /** A fixed column, or the index of a chosen (metric or param) column. */
  readonly column: FixedColumn | number;
  readonly descending: boolean;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

type Key = { readonly rank: 0; readonly n: number } | { readonly rank: 0; readonly s: string } | { readonly rank: 1 | 2 };

function keyOf(value: RunsTableCell): Key {
  if (value === null) return { rank: 2 };
  if (typeof value === 'number') return { rank: 0, n: value };
  if (value === 'NaN') return { rank: 1 };
  if (value === 'inf') return { rank: 0, n: Infinity };
  if (value === '-inf') return { rank: 0, n: -Infinity };
  return NUMBER.test(value.trim()) ? { rank: 0, n: Number(value) } : { rank: 0, s: value };
}

function compareKeys(a: Key, b: Key, descending: boolean): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.rank !== 0 || b.rank !== 0) return 0;
  let order: number;
  if ('n' in a && 'n' in b) order = a.n === b.n ? 0 : a.n < b.n ? -1 : 1;
  else if ('n' in a) order = -1; // numbers before text in a column that mixes them
  else if ('n' in b) order = 1;
  else order = collator.compare(a.s, b.s);
  return descending ? -order : order;
}

function cellOf(row: RunsTableRow, column: FixedColumn | number): RunsTableCell {
  if (typeof column === 'number') return row.cells[column] ?? null;
  return row[column];
}

/** The rows in the table's order (a stable sort: ties keep the host's order, newest first). */
export function sortRows(rows: readonly RunsTableRow[], sort: TableSort | undefined): RunsTableRow[] {
  if (!sort) return [...rows];
  const keys = new Map(rows.map((r) => [r, keyOf(cellOf(r, sort.column))]));
  return [...rows].sort((a, b) => compareKeys(keys.get(a)!, keys.get(b)!, sort.descending));
}

/** The first click on a column sorts it best first: losses ascending, accuracies descending, text A to Z. */
export function firstSortDescending(direction: 'lower' | 'higher' | null | undefined, column: FixedColumn | number): boolean {
  if (column === 'started' || column === 'duration') return true;
  return direction === 'higher';
}
