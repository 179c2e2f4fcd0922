// Two files side by side (train vs test): schema differences, and the rows they share, which in
// ML is leakage. Rows are compared on a key of the columns both have (by name; compareKey.ts):
// identifiers (unique on every row of both files) and the target are left out of it, so duplicated
// feature rows under new ids count, and the same features under another label show as a conflict.
// NULLs count as equal, as in SQL's INTERSECT. Columns whose types differ are compared as doubles
// when both are numbers, else as text. A value past DuckDB's sniff that does not fit its column
// makes that column text, as in the grid (lateValues.ts).
import { stat } from 'node:fs/promises';
import type { Cell, DatasetColumn } from '../datasetSource';
import { chooseKey, DISTINCT_EXACT_ROWS, DISTINCT_SAMPLE, identifierCandidates, isIdentifier, type KeyStats, type LeftOut } from './compareKey';
import type { FileDatasetSource } from './fileDatasetSource';
import { lateValueNote, lateValueOf } from './lateValues';
import { quoteIdent, SqlParams } from './sqlText';

export interface DatasetComparison {
  readonly first: string;
  readonly second: string;
  readonly onlyInFirst: readonly DatasetColumn[];
  readonly onlyInSecond: readonly DatasetColumn[];
  readonly typeChanges: readonly { readonly column: string; readonly firstType: string; readonly secondType: string }[];
  /** The row key: the shared columns rows were compared on, in the first file's order. */
  readonly comparedColumns: readonly string[];
  /** Shared columns left out of the key, and why (an identifier, the target, not among the key columns asked for). */
  readonly leftOut: readonly LeftOut[];
  readonly firstRows: number;
  readonly secondRows: number;
  /** Distinct keys present in both files. */
  readonly sharedDistinctRows: number;
  /** Rows of each file whose key also appears in the other (duplicates within a file each count). */
  readonly firstRowsShared: number;
  readonly secondRowsShared: number;
  /** Some of the shared keys, over comparedColumns. */
  readonly sample: readonly (readonly Cell[])[];
  /** With a target in both files: the shared keys whose label differs between the files. */
  readonly labels?: LabelConflicts;
  /** Read as text (late values), a target not in both files, an identifier kept. */
  readonly notes?: readonly string[];
}

export interface LabelConflicts {
  readonly target: string;
  /** Shared keys whose labels in one file are not all among the other's for that key. */
  readonly conflictingDistinctRows: number;
  /** Rows of each file whose key is shared and whose label the other file never gives that key. */
  readonly firstRowsConflicting: number;
  readonly secondRowsConflicting: number;
  /** Some conflicting keys: the key's values, then the labels here and there (distinct, sorted, as text). */
  readonly sample: readonly (readonly Cell[])[];
}

export interface CompareOptions {
  /** The label column (the grid's target): left out of the key, its conflicts counted. */
  readonly target?: string;
  /** The key, chosen by the person: no identifiers are looked for. */
  readonly keyColumns?: readonly string[];
  readonly sampleSize?: number;
}

const NUMERIC = new Set(['integer', 'float', 'decimal']);
/** Example conflicts at most. */
const CONFLICT_SAMPLE = 10;

export async function compareDatasets(first: FileDatasetSource, second: FileDatasetSource, signal: AbortSignal, options: CompareOptions = {}): Promise<DatasetComparison> {
  // Each file's late values (lateValues.ts) make its column text and run the comparison again; the notes say which.
  const late = new Map<string, string>();
  const once = (): Promise<DatasetComparison> =>
    compareOnce(first, second, signal, options).catch((error: unknown) => {
      const value = lateValueOf(error);
      if (value) late.set(`${value.file ?? ''}\u0000${value.column}`, `${value.file === second.path ? second.label : first.label}: ${lateValueNote(value)}`);
      throw error;
    });
  const result = await first.retryingReads(signal, () => second.retryingReads(signal, once));
  const notes = [...late.values(), ...(result.notes ?? [])];
  return { ...result, ...(notes.length ? { notes } : {}) };
}

async function compareOnce(first: FileDatasetSource, second: FileDatasetSource, signal: AbortSignal, options: CompareOptions): Promise<DatasetComparison> {
  const params = new SqlParams();
  const a = await first.relation(signal, params);
  const b = await second.relation(signal, params);
  const prepare = [...a.prepare, ...b.prepare];
  const run: Run = async (sql, maxRows) => (await first.run(sql, { params, prepare }, signal, { maxRows })).rows;
  const secondByName = new Map(b.rel.columns.map((c) => [c.name, c]));
  const firstNames = new Set(a.rel.columns.map((c) => c.name));
  const common = a.rel.columns.filter((c) => secondByName.has(c.name));
  const typeChanges = common.filter((c) => secondByName.get(c.name)?.type !== c.type).map((c) => ({ column: c.name, firstType: c.type, secondType: secondByName.get(c.name)?.type ?? '' }));
  // The join's hash table holds the smaller file (below); identifiers are looked for there first.
  const firstIsLarger = (await fileSize(first.path)) >= (await fileSize(second.path));
  const [large, small] = firstIsLarger ? ['a', 'b'] : ['b', 'a'];
  const files = [await alone(first, signal), await alone(second, signal)] as const;
  const identifiers = options.keyColumns || common.length === 0 ? [] : await findIdentifiers(files[firstIsLarger ? 1 : 0], files[firstIsLarger ? 0 : 1], common, secondByName, options.target);
  const choice = common.length === 0 ? { key: [], leftOut: [], notes: [] } : chooseKey(common, identifiers, options);
  const base = {
    first: first.label,
    second: second.label,
    onlyInFirst: a.rel.columns.filter((c) => !secondByName.has(c.name)),
    onlyInSecond: b.rel.columns.filter((c) => !firstNames.has(c.name)),
    typeChanges,
    comparedColumns: choice.key,
    leftOut: choice.leftOut,
    ...(choice.notes.length ? { notes: choice.notes } : {}),
  };
  if (choice.key.length === 0) {
    const row = (await run(`SELECT (SELECT count(*) FROM ${a.rel.from}), (SELECT count(*) FROM ${b.rel.from})`, 1))[0] ?? [];
    return { ...base, firstRows: Number(row[0]), secondRows: Number(row[1]), sharedDistinctRows: 0, firstRowsShared: 0, secondRowsShared: 0, sample: [] };
  }
  // Generated aliases (k1, k2, …; t for the target) so the SQL never depends on how a column is named.
  const expr = (c: DatasetColumn): string => {
    const other = secondByName.get(c.name);
    if (!other || other.type === c.type) return quoteIdent(c.name);
    return NUMERIC.has(c.kind) && NUMERIC.has(other.kind) ? `CAST(${quoteIdent(c.name)} AS DOUBLE)` : `CAST(${quoteIdent(c.name)} AS VARCHAR)`;
  };
  const keyCols = choice.key.map((name) => common.find((c) => c.name === name)).filter((c): c is DatasetColumn => c !== undefined);
  const targetCol = choice.leftOut.some((l) => l.reason === 'target') ? common.find((c) => c.name === options.target) : undefined;
  const ks = keyCols.map((_, i) => `k${i + 1}`);
  const list = [...keyCols.map((c, i) => `${expr(c)} AS ${ks[i]}`), ...(targetCol ? [`${expr(targetCol)} AS t`] : [])].join(', ');
  const on = (left: string, right: string, withTarget = false): string => [...ks, ...(withTarget ? ['t'] : [])].map((k) => `${left}.${k} IS NOT DISTINCT FROM ${right}.${k}`).join(' AND ');
  const keyOf = (alias: string): string => ks.map((k) => `${alias}.${k}`).join(', ');
  // The shared keys as the larger file's found in the smaller one: the join's hash table holds the
  // smaller file and the larger one streams past it. INTERSECT made every distinct row of the
  // larger file first (a 1 GB CSV against a 3-row split took the engine past its memory cap).
  // ca, cb: each file's rows of a shared key under a label the other file never gives that key.
  const conflicts = targetCol
    ? `, ca AS (SELECT x.* FROM (SELECT a.* FROM a SEMI JOIN s ON ${on('a', 's')}) x ANTI JOIN b ON ${on('x', 'b', true)}),` +
      ` cb AS (SELECT x.* FROM (SELECT b.* FROM b SEMI JOIN s ON ${on('b', 's')}) x ANTI JOIN a ON ${on('x', 'a', true)}),` +
      ` c AS (SELECT ${keyOf('ca')} FROM ca UNION SELECT ${keyOf('cb')} FROM cb)`
    : '';
  const cte = `WITH a AS (SELECT ${list} FROM ${a.rel.from}), b AS (SELECT ${list} FROM ${b.rel.from}), s AS (SELECT DISTINCT ${keyOf(large)} FROM ${large} SEMI JOIN ${small} ON ${on(large, small)})${conflicts}`;
  const counted = await run(
    `${cte} SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b), (SELECT count(*) FROM s), ` +
      `(SELECT count(*) FROM a SEMI JOIN s ON ${on('a', 's')}), (SELECT count(*) FROM b SEMI JOIN s ON ${on('b', 's')})` +
      (targetCol ? ', (SELECT count(*) FROM c), (SELECT count(*) FROM ca), (SELECT count(*) FROM cb)' : ''),
    1,
  );
  const row = counted[0] ?? [];
  const shared = Number(row[2]);
  const sampleSize = Math.max(0, Math.trunc(options.sampleSize ?? 20));
  const sample = shared > 0 ? await run(`${cte} SELECT * FROM s LIMIT ${sampleSize}`, sampleSize) : [];
  const result = { ...base, firstRows: Number(row[0]), secondRows: Number(row[1]), sharedDistinctRows: shared, firstRowsShared: Number(row[3]), secondRowsShared: Number(row[4]), sample };
  if (!targetCol) return result;
  const conflicting = Number(row[5]);
  // Each example key with its labels in each file, as text (a NULL label shows as NULL); e is read three times, so materialized: the same keys.
  const labelsOf = (side: string): string =>
    `(SELECT ${keyOf(side)}, array_to_string(list_sort(list(DISTINCT coalesce(CAST(${side}.t AS VARCHAR), 'NULL'))), ', ') AS labels FROM ${side} SEMI JOIN e ON ${on(side, 'e')} GROUP BY ALL)`;
  const examples =
    conflicting > 0
      ? await run(`${cte}, e AS MATERIALIZED (SELECT * FROM c LIMIT ${CONFLICT_SAMPLE}) SELECT ${keyOf('e')}, la.labels, lb.labels FROM e LEFT JOIN ${labelsOf('a')} la ON ${on('e', 'la')} LEFT JOIN ${labelsOf('b')} lb ON ${on('e', 'lb')}`, CONFLICT_SAMPLE)
      : [];
  return { ...result, labels: { target: targetCol.name, conflictingDistinctRows: conflicting, firstRowsConflicting: Number(row[6]), secondRowsConflicting: Number(row[7]), sample: examples } };
}

type Run = (sql: string, maxRows: number) => Promise<readonly (readonly Cell[])[]>;

/** One file's relation bound on its own (a query's parameters must all be used: one reading a single file cannot share the pair's). */
interface Alone {
  readonly from: string;
  readonly run: Run;
}

async function alone(source: FileDatasetSource, signal: AbortSignal): Promise<Alone> {
  const params = new SqlParams();
  const bound = await source.relation(signal, params);
  return { from: bound.rel.from, run: async (sql, maxRows) => (await source.run(sql, { params, prepare: bound.prepare }, signal, { maxRows })).rows };
}

/**
 * The shared columns unique on every row of both files (compareKey.ts isIdentifier): the smaller
 * file first, then the columns still unique there in the larger, whose repeats past
 * DISTINCT_EXACT_ROWS rows are looked for in a sample (a bounded hash table).
 */
async function findIdentifiers(small: Alone, large: Alone, common: readonly DatasetColumn[], secondByName: ReadonlyMap<string, DatasetColumn>, target: string | undefined): Promise<string[]> {
  const candidates = identifierCandidates(common, target).filter((c) => {
    const other = secondByName.get(c.name);
    return other !== undefined && (other.kind === 'integer' || other.kind === 'string');
  });
  const inSmall = await keyStats(small, candidates, false);
  const survivors = candidates.filter((c, i) => inSmall[i] && isIdentifier(c, inSmall[i], inSmall[i]));
  const inLarge = await keyStats(large, survivors, true);
  return survivors.filter((c, i) => inLarge[i] && isIdentifier(c, inSmall[candidates.indexOf(c)]!, inLarge[i])).map((c) => c.name);
}

/** Each column's figures in one file, in one query (unique over a sample past DISTINCT_EXACT_ROWS rows when `sampled`). */
async function keyStats({ run, from }: Alone, columns: readonly DatasetColumn[], sampled: boolean): Promise<KeyStats[]> {
  if (columns.length === 0) return [];
  const total = sampled ? Number((await run(`SELECT count(*) FROM ${from}`, 1))[0]?.[0] ?? 0) : 0;
  const share = total > DISTINCT_EXACT_ROWS ? Math.min(100, (100 * DISTINCT_SAMPLE) / total) : 100;
  const q = columns.map((c) => quoteIdent(c.name));
  // Text as text whatever the column's type on this side (a text column there, numbers here).
  const text = (i: number): string => `CAST(${q[i]} AS VARCHAR)`;
  const figures = columns.flatMap((c, i) => [`count(${q[i]})`, ...(c.kind === 'string' ? [`max(length(${text(i)}))`, `count(*) FILTER (WHERE contains(${text(i)}, ' ') OR contains(${text(i)}, chr(9)))`] : ['0', '0'])]);
  const rows = share < 100 ? `(SELECT * FROM ${from} USING SAMPLE system(${share.toFixed(4)}%))` : from;
  const unique = columns.map((_, i) => `(SELECT count(DISTINCT ${q[i]}) = count(${q[i]}) FROM ${rows})`);
  const row = ((await run(`SELECT count(*), ${figures.join(', ')}, ${unique.join(', ')} FROM ${from}`, 1))[0] ?? []).map((v) => (typeof v === 'boolean' ? v : Number(v)));
  const at = (i: number): number => Number(row[i] ?? 0);
  return columns.map((_, i) => ({ rows: at(0), nonNull: at(1 + i * 3), maxLength: at(2 + i * 3), spaced: at(3 + i * 3), unique: row[1 + columns.length * 3 + i] === true }));
}

/** A file's size in bytes; 0 where it cannot be read (the engine's own error then says why). */
async function fileSize(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}
