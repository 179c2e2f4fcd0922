// A CSV column whose values stop fitting the type DuckDB's sniffer gave it, past the rows it
// sniffed (20 480): one "abc" or "NA" at line 100 002 of an integer column failed the whole file
// (its count, sorts and summaries). The column is read as text instead (read_csv's `types`
// override) and the grid's header says why, so the file can still be viewed, sorted and profiled.
import type { Cell, DatasetColumn, DatasetFormat } from '../datasetSource';
import { EngineQueryError } from './engineClient';
import { tablePrep, type CsvOptions } from './fileRelation';
import type { TablePrep } from './protocol';
import { kindOfType } from './sqlText';

/** Columns read as text at most, each costing one more read of the file. */
const MAX_TEXT_COLUMNS = 8;

export interface LateValue {
  readonly column: string;
  /** The file's line (1-based, the header is line 1), when DuckDB names it. */
  readonly line: number | undefined;
  readonly value: string;
  /** The type the sniffer gave the column (BIGINT, DOUBLE, DATE, …). */
  readonly type: string;
  /** The file, as the query named it, when DuckDB says (a query reading two files: compareFiles.ts, drift). */
  readonly file?: string;
}

/** The column, line and value of a CSV conversion error (DuckDB's text, on the error or its causes), or undefined. */
export function lateValueOf(error: unknown): LateValue | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (!(e instanceof EngineQueryError)) continue;
    const converting = /^Error when converting column "(.+)"\. Could not convert string "(.*)" to '?([A-Z ]+)/m.exec(e.message);
    if (!converting) return undefined;
    const line = /CSV Error on Line: (\d+)/.exec(e.message);
    const file = /^\s*file = (.+)$/m.exec(e.message)?.[1];
    return { column: converting[1] ?? '', value: converting[2] ?? '', type: converting[3] ?? '', line: line ? Number(line[1]) : undefined, ...(file ? { file } : {}) };
  }
  return undefined;
}

/** The header's note: which column, and the line that made it text. */
export function lateValueNote(late: LateValue): string {
  const value = late.value.length > 40 ? `${late.value.slice(0, 40)}…` : late.value;
  return `${late.column} read as text: ${late.line ? `line ${late.line}` : 'a line past the first rows'} holds '${value}', not ${/^[AEIOU]/.test(late.type) ? 'an' : 'a'} ${late.type}.`;
}

/** What a source knows of an opened text file that reading a column as text changes (fileDatasetSource.ts Opened). */
export interface Retypable {
  readonly version: string;
  csv: CsvOptions;
  prep?: TablePrep;
  notes: string[];
  columns: readonly DatasetColumn[];
  quickTypes?: boolean;
  firstRows?: readonly (readonly Cell[])[];
  sample?: unknown;
}

/**
 * Reads `late.column` as text from now on: new read options, a table of its own (named for them),
 * the note; the first rows are read again and the columns taken from the new table. Gives the new
 * table, or undefined when this cannot help (not a CSV, the column already text, too many columns).
 */
export function readColumnAsText(opened: Retypable, late: LateValue, format: DatasetFormat, path: string): TablePrep | undefined {
  if ((format !== 'csv' && format !== 'tsv') || !opened.prep || opened.prep.from.kind !== 'select') return undefined;
  const text = opened.csv.textColumns ?? [];
  if (text.includes(late.column) || text.length >= MAX_TEXT_COLUMNS || !opened.columns.some((c) => c.name === late.column)) return undefined;
  opened.csv = { ...opened.csv, textColumns: [...text, late.column] };
  opened.prep = tablePrep(format, path, opened.version, opened.csv, opened.prep.table);
  opened.notes.push(lateValueNote(late));
  opened.columns = opened.columns.map((c) => (c.name === late.column ? { ...c, type: 'VARCHAR', kind: kindOfType('VARCHAR') } : c));
  // The first page held the column's numbers, the spread sample was read with the old type.
  opened.firstRows = undefined;
  opened.sample = undefined;
  opened.quickTypes = true;
  return opened.prep;
}

/** Runs `work`; while it fails on a late value that `retype` can read as text, runs it again (a few times at most). */
export async function retryingLateValues<T>(work: () => Promise<T>, retype: (late: LateValue) => boolean): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await work();
    } catch (error) {
      const late = lateValueOf(error);
      if (!late || tries > MAX_TEXT_COLUMNS || !retype(late)) throw error;
    }
  }
}
