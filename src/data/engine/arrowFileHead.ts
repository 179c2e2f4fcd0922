// The first look at an Arrow IPC file (.arrow, Feather v2) for FileDatasetSource. The engine reads
// Arrow only into a table (arrowImport.ts), never in place, so the schema and first page come from
// a table of the first rows only, dropped once read: the whole file's table is built by the first
// query that needs it (the count), not before the page shows.
import type { Cell, DatasetColumn } from '../datasetSource';
import type { DataEngine, QueryOptions, QueryResult } from './engineClient';
import { columnsFromDescribe } from './fileRelation';
import type { TablePrep } from './protocol';
import { SqlParams } from './sqlText';
import { selectList, type BoundRelation } from './viewSql';

/** What the head is read through: the source's query runner (its errors name the file). */
export interface ArrowHeadSource {
  readonly path: string;
  readonly label: string;
  run(sql: string, bound: Pick<BoundRelation, 'params' | 'prepare'>, signal: AbortSignal, options?: Pick<QueryOptions, 'maxRows'>): Promise<QueryResult>;
}

/** The file's columns and first `rows` rows, from a table named after the file's own (`table`). */
export async function arrowFileHead(
  source: ArrowHeadSource,
  engine: Pick<DataEngine, 'retainTable' | 'releaseTable'>,
  table: string,
  rows: number,
  signal: AbortSignal,
): Promise<{ columns: DatasetColumn[]; firstRows: readonly (readonly Cell[])[] }> {
  const head: TablePrep = { table: `${table}_head`, from: { kind: 'arrow', path: source.path, rows } };
  engine.retainTable(head.table);
  try {
    const bound = { params: new SqlParams(), prepare: [head] };
    const columns = columnsFromDescribe((await source.run(`DESCRIBE "${head.table}"`, bound, signal)).rows, 'arrow');
    const rel = { from: `"${head.table}"`, order: 'rowid', columns, label: source.label };
    const first = await source.run(`SELECT ${selectList(rel)} FROM ${rel.from} ORDER BY rowid`, bound, signal, { maxRows: rows });
    return { columns, firstRows: first.rows };
  } finally {
    engine.releaseTable(head.table);
  }
}
