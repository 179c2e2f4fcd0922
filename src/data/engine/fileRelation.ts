// How the engine reads each file format, and what it learns on opening one: the format from the
// name, the columns, the version (size + mtime) caches key on. CSV and JSON lines are read directly
// for the first page (DuckDB samples the types and stops at the LIMIT), then copied once into a table
// in the engine for counts, sorts, filters and summaries (one parse of the file instead of one per
// question); Parquet is always read in place (DuckDB reads its footer and only the row groups and
// columns a query needs); Arrow IPC goes through arrowImport.ts.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { UserError } from '../../common/errors';
import type { DatasetColumn, DatasetFormat } from '../datasetSource';
import { sniffedOptions, type SniffedCsv } from './csvSniff';
import type { TablePrep } from './protocol';
import { castableType, kindOfType, SqlParams } from './sqlText';

export const DATASET_EXTENSIONS = ['.csv', '.tsv', '.csv.gz', '.tsv.gz', '.parquet', '.jsonl', '.ndjson', '.arrow', '.feather'] as const;

/** The format a file name says, or undefined. */
export function formatOfPath(path: string): DatasetFormat | undefined {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.csv') || name.endsWith('.csv.gz')) return 'csv';
  if (name.endsWith('.tsv') || name.endsWith('.tsv.gz')) return 'tsv';
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.jsonl.gz') || name.endsWith('.ndjson.gz')) return 'jsonl';
  if (name.endsWith('.arrow') || name.endsWith('.feather') || name.endsWith('.ipc')) return 'arrow';
  return undefined;
}

/** Options for CSV text, chosen by our code from fixed sets (never from user text). */
export interface CsvOptions {
  readonly delimiter?: ',' | '\t' | ';' | '|';
  readonly encoding?: 'utf-8' | 'latin-1';
  /** JSON lines columns whose values differ in type (DuckDB's JSON type), read as the grid shows them (jsonAsText). */
  readonly jsonText?: readonly string[];
  /**
   * A first look at a big file: the sniffer samples this many rows with a 1 MB buffer (DuckDB's
   * defaults, 20 480 rows and an 8 MB+ buffer, cost over a second on a cold 1 GB file).
   */
  readonly quickSample?: number;
  /** Columns read as text whatever the sniffer says: a value past its sample did not fit (lateValues.ts). */
  readonly textColumns?: readonly string[];
  /** The file's dialect and columns, sniffed once: read with them instead of sniffing again (csvSniff.ts). */
  readonly sniffed?: SniffedCsv;
}

/**
 * The types DuckDB's sniffer may give a CSV column: its defaults (1.5) less TIME, which took a PCI
 * bus id such as nvidia-smi's "00000000:00:09.0" for 00:00:09 and lost the value; a column of
 * times of day now reads as text. VARCHAR is always a candidate. Copy as Code's SQL reads with the
 * same list (copyAsCode.ts), so the copied query gives the grid's rows.
 */
export const CSV_TYPE_CANDIDATES = "auto_type_candidates = ['BOOLEAN', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMPTZ', 'VARCHAR']";

/** Lines longer than this are refused (DuckDB's max_line_size): a 10 GB one-line file fails fast. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * The table function that reads the file in place, its path bound as a parameter. A Parquet scan
 * numbers its rows (file_row_number: the order sorts break ties by) unless `rowNumbers` is false:
 * the first page does without, since numbering made DuckDB decode the first row group twice as
 * slowly (measured: 500 ms against 270 ms for 200 rows of a 1 GB zstd file, one thread).
 */
export function directScan(format: DatasetFormat, path: string, params: SqlParams, csv: CsvOptions = {}, rowNumbers = true): string {
  // hive_partitioning = false: DuckDB detects it even for one file, over the whole path (…/run=7/a.csv gets a column run).
  const p = `${params.bind(path)}, hive_partitioning = false`;
  switch (format) {
    case 'csv':
    case 'tsv': {
      // skip = 0: DuckDB's sniffer may otherwise decide the first lines are a preamble and drop
      // them without a word (a ragged row early in a small file made it skip the header and a row).
      const options = csv.quickSample ? [`sample_size = ${Math.trunc(csv.quickSample)}`, 'buffer_size = 1048576', 'max_line_size = 1048576', 'skip = 0'] : [`max_line_size = ${MAX_LINE_BYTES}`, 'skip = 0'];
      if (csv.sniffed && !csv.quickSample) return `read_csv(${p}, ${[...options, ...(csv.encoding && csv.encoding !== 'utf-8' ? [`encoding = '${csv.encoding}'`] : []), ...sniffedOptions(csv.sniffed, csv.textColumns)].join(', ')})`;
      options.push(CSV_TYPE_CANDIDATES);
      const delimiter = csv.delimiter ?? (format === 'tsv' ? '\t' : undefined);
      if (delimiter) options.push(`delim = '${delimiter === '\t' ? '\\t' : delimiter}'`);
      if (csv.encoding && csv.encoding !== 'utf-8') options.push(`encoding = '${csv.encoding}'`);
      // A header's name as a string literal, quotes doubled (a struct's keys cannot be bound), as sampleScan's columns.
      if (csv.textColumns?.length) options.push(`types = {${csv.textColumns.map((c) => `'${c.replaceAll("'", "''")}': 'VARCHAR'`).join(', ')}}`);
      return `read_csv(${p}, ${options.join(', ')})`;
    }
    case 'jsonl':
      return jsonAsText(`read_json(${p}, format = 'newline_delimited')`, csv.jsonText);
    case 'parquet':
      return rowNumbers ? `read_parquet(${p}, file_row_number = true)` : `read_parquet(${p})`;
    case 'arrow':
      throw new Error('Arrow IPC is read through a table (arrowImport.ts)');
  }
}

/**
 * A JSON lines scan whose mixed-type columns (DuckDB's JSON: `{"v": 1}`, `{"v": "a"}`, `{"v": [1]}`)
 * hold text: a string as itself (DuckDB's JSON text would show "a" with its quotes), anything else
 * as its compact JSON (1, [1], {"k":"x"}). Copy as Code's SQL reads with the same (copyAsCode.ts).
 */
export function jsonAsText(scan: string, columns: readonly string[] | undefined): string {
  if (!columns?.length) return scan;
  const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  return `(SELECT * REPLACE (${columns.map((c) => `${q(c)} ->> '$' AS ${q(c)}`).join(', ')}) FROM ${scan})`;
}

/**
 * A sample file (spreadSample.ts) read as the file itself is, with the file's columns and types
 * (the sample's own rows are too few to sniff them from): rows that do not parse are dropped.
 * Undefined when a type cannot be written (never for the engine's own type names).
 */
export function sampleScan(format: DatasetFormat, samplePath: string, params: SqlParams, csv: CsvOptions, columns: readonly DatasetColumn[]): string | undefined {
  if (format !== 'csv' && format !== 'tsv') return undefined;
  const types: { name: string; type: string }[] = [];
  for (const c of columns) {
    const type = castableType(c.type);
    if (!type) return undefined;
    types.push({ name: c.name, type });
  }
  // Sniffed once: the file's own dialect, no sniff of the sample.
  if (csv.sniffed) return `${directScan(format, samplePath, params, { ...csv, quickSample: undefined, textColumns: undefined, sniffed: { ...csv.sniffed, columns: types } }).slice(0, -1)}, ignore_errors = true)`;
  // The columns given below hold every type (read_csv refuses `types` beside them).
  const scan = directScan(format, samplePath, params, { ...csv, quickSample: undefined, textColumns: undefined });
  return `${scan.slice(0, -1)}, header = true, ignore_errors = true, columns = {${types.map((t) => `'${t.name.replaceAll("'", "''")}': '${t.type}'`).join(', ')}})`;
}

/** The engine table holding one version of a file, named from its path and version. */
export function tableName(path: string, version: string): string {
  return `t_${createHash('sha256').update(`${path}\u0000${version}`).digest('hex').slice(0, 24)}`;
}

export function tablePrep(format: DatasetFormat, path: string, version: string, csv: CsvOptions, replaces?: string): TablePrep {
  // Columns read as text make another table: a source that has not met the late value yet reads the file's own types.
  const table = tableName(path, csv.textColumns?.length ? `${version}\u0000${csv.textColumns.join('\u0000')}` : version);
  const base = replaces && replaces !== table ? { table, replaces } : { table };
  if (format === 'arrow') return { ...base, from: { kind: 'arrow', path } };
  const params = new SqlParams();
  const scan = directScan(format, path, params, csv);
  // file_row_number is Parquet's own; text formats keep their order through the table's rowid.
  return { ...base, from: { kind: 'select', sql: `SELECT * FROM ${scan}`, params: params.values } };
}

/** Columns from the engine's DESCRIBE rows (column_name, column_type, …), Parquet's row number left out. */
export function columnsFromDescribe(rows: readonly (readonly unknown[])[], format: DatasetFormat): DatasetColumn[] {
  const columns = rows.map((r) => ({ name: String(r[0]), type: String(r[1]), kind: kindOfType(String(r[1])) }));
  return format === 'parquet' ? columns.filter((c) => c.name !== 'file_row_number') : columns;
}

export function unsupportedFormat(path: string): UserError {
  return new UserError(`${basename(path)} is not a dataset file this viewer reads (${DATASET_EXTENSIONS.join(', ')}).`);
}
