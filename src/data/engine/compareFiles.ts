// Two files side by side (train vs test): schema differences, and the rows they share, which in
// ML is leakage. Rows are compared on the columns both have (by name); NULLs count as equal, as in
// SQL's INTERSECT. Columns whose types differ are compared as doubles when both are numbers, else as text.
import { stat } from 'node:fs/promises';
import type { Cell, DatasetColumn } from '../datasetSource';
import type { FileDatasetSource } from './fileDatasetSource';
import { quoteIdent, SqlParams } from './sqlText';

export interface DatasetComparison {
  readonly first: string;
  readonly second: string;
  readonly onlyInFirst: readonly DatasetColumn[];
  readonly onlyInSecond: readonly DatasetColumn[];
  readonly typeChanges: readonly { readonly column: string; readonly firstType: string; readonly secondType: string }[];
  /** The columns rows were compared on, in the first file's order. */
  readonly comparedColumns: readonly string[];
  readonly firstRows: number;
  readonly secondRows: number;
  /** Distinct rows present in both files. */
  readonly sharedDistinctRows: number;
  /** Rows of each file whose values also appear as a row of the other (duplicates within a file each count). */
  readonly firstRowsShared: number;
  readonly secondRowsShared: number;
  /** Some of the shared rows, over comparedColumns. */
  readonly sample: readonly (readonly Cell[])[];
}

const NUMERIC = new Set(['integer', 'float', 'decimal']);

export async function compareDatasets(first: FileDatasetSource, second: FileDatasetSource, signal: AbortSignal, sampleSize = 20): Promise<DatasetComparison> {
  const params = new SqlParams();
  const a = await first.relation(signal, params);
  const b = await second.relation(signal, params);
  const secondByName = new Map(b.rel.columns.map((c) => [c.name, c]));
  const firstNames = new Set(a.rel.columns.map((c) => c.name));
  const common = a.rel.columns.filter((c) => secondByName.has(c.name));
  const typeChanges = common.filter((c) => secondByName.get(c.name)?.type !== c.type).map((c) => ({ column: c.name, firstType: c.type, secondType: secondByName.get(c.name)?.type ?? '' }));
  const base = {
    first: first.label,
    second: second.label,
    onlyInFirst: a.rel.columns.filter((c) => !secondByName.has(c.name)),
    onlyInSecond: b.rel.columns.filter((c) => !firstNames.has(c.name)),
    typeChanges,
    comparedColumns: common.map((c) => c.name),
  };
  const counts = `SELECT (SELECT count(*) FROM ${a.rel.from}), (SELECT count(*) FROM ${b.rel.from})`;
  const prepare = [...a.prepare, ...b.prepare];
  if (common.length === 0) {
    const row = (await first.run(counts, { params, prepare }, signal, { maxRows: 1 })).rows[0] ?? [];
    return { ...base, firstRows: Number(row[0]), secondRows: Number(row[1]), sharedDistinctRows: 0, firstRowsShared: 0, secondRowsShared: 0, sample: [] };
  }
  // Generated aliases (k1, k2, …) so the comparison SQL never depends on how a column is named.
  const expr = (c: DatasetColumn): string => {
    const other = secondByName.get(c.name);
    if (!other || other.type === c.type) return quoteIdent(c.name);
    return NUMERIC.has(c.kind) && NUMERIC.has(other.kind) ? `CAST(${quoteIdent(c.name)} AS DOUBLE)` : `CAST(${quoteIdent(c.name)} AS VARCHAR)`;
  };
  const list = common.map((c, i) => `${expr(c)} AS k${i + 1}`).join(', ');
  const on = (left: string, right = 's'): string => common.map((_, i) => `${left}.k${i + 1} IS NOT DISTINCT FROM ${right}.k${i + 1}`).join(' AND ');
  // The shared rows as the larger file's rows found in the smaller one: the join's hash table holds
  // the smaller file and the larger one streams past it. INTERSECT made every distinct row of the
  // larger file first (a 1 GB CSV against a 3-row split took the engine past its memory cap).
  const [large, small] = (await fileSize(first.path)) >= (await fileSize(second.path)) ? ['a', 'b'] : ['b', 'a'];
  const cte = `WITH a AS (SELECT ${list} FROM ${a.rel.from}), b AS (SELECT ${list} FROM ${b.rel.from}), s AS (SELECT DISTINCT * FROM ${large} SEMI JOIN ${small} ON ${on(large, small)})`;
  const stats = await first.run(
    `${cte} SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b), (SELECT count(*) FROM s), ` +
      `(SELECT count(*) FROM a SEMI JOIN s ON ${on('a')}), (SELECT count(*) FROM b SEMI JOIN s ON ${on('b')})`,
    { params, prepare },
    signal,
    { maxRows: 1 },
  );
  const row = stats.rows[0] ?? [];
  const shared = Number(row[2]);
  const sample = shared > 0 ? (await first.run(`${cte} SELECT * FROM s LIMIT ${Math.max(0, Math.trunc(sampleSize))}`, { params, prepare }, signal, { maxRows: sampleSize })).rows : [];
  return { ...base, firstRows: Number(row[0]), secondRows: Number(row[1]), sharedDistinctRows: shared, firstRowsShared: Number(row[3]), secondRowsShared: Number(row[4]), sample };
}

/** A file's size in bytes; 0 where it cannot be read (the engine's own error then says why). */
async function fileSize(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}
