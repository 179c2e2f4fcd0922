// Copy as Code: the grid's view (filters, then a sort) as pandas, polars or DuckDB SQL over where
// the rows come from, a file or a kernel variable. The three give the rows the engine shows, in the
// same order: filters AND-ed; topK keeps the k most frequent non-null values of the whole source,
// ties by value; the sort is stable (ties in source order) with missing values last both ways.
// The tests run all three and compare (test/integration/dataCopyAsCode.test.ts). Names and values
// are written as literals of the target language (JSON strings are valid Python strings; SQL
// quotes doubled), never pasted in raw. Date and timestamp columns are parsed the way the engine read
// them (the format DuckDB's sniffer settled on, copyAsCodeCsv.ts) and compared as dates, not text.
import type { Cell, ColumnFilter, DatasetColumn, DatasetOrigin, DatasetView } from './datasetSource';
import { CSV_TYPE_CANDIDATES, jsonAsText } from './engine/fileRelation';

export type CodeLanguage = 'pandas' | 'polars' | 'sql';

export const CODE_LANGUAGES: readonly CodeLanguage[] = ['pandas', 'polars', 'sql'];

/**
 * How the engine's CSV sniffer read a file (copyAsCodeCsv.ts sniffs it): whether its first line is a
 * header, its delimiter, and the strftime formats of its DATE and TIMESTAMP columns (undefined: ISO 8601).
 */
export interface CsvReading {
  readonly header: boolean;
  /** The delimiter the sniffer found (a .csv may well be ;-separated). */
  readonly delimiter?: string;
  readonly dateFormat?: string;
  readonly timestampFormat?: string;
}

/**
 * The code, ending with the view in `df` (pandas, polars) or as one SELECT (SQL). `columns` (the
 * engine's) gives the names the code reads a CSV with and kinds for typed literals; `csv` how the
 * engine read a CSV.
 */
export function copyAsCode(origin: DatasetOrigin, view: DatasetView, language: CodeLanguage, columns: readonly DatasetColumn[] = [], csv?: CsvReading): string {
  const kinds = new Map(columns.map((c) => [c.name, c.kind]));
  switch (language) {
    case 'pandas':
      return pandasCode(origin, view, columns, csv);
    case 'polars':
      return polarsCode(origin, view, columns, csv);
    case 'sql':
      return sqlCode(origin, view, kinds);
  }
}

// ---- Python (pandas, polars) -------------------------------------------------------------------

const py = (text: string): string => JSON.stringify(text);

function pyValue(value: Cell): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `float(${py(String(value))})`;
  return py(value);
}

const isDated = (kind: string | undefined): boolean => kind === 'date' || kind === 'timestamp';

/** A pandas literal: dates and timestamps as pd.Timestamp, so they compare with parsed columns as dates, not as text. */
function pdValue(value: Cell, kind: string | undefined): string {
  return typeof value === 'string' && isDated(kind) ? `pd.Timestamp(${py(value)})` : pyValue(value);
}

/** numpy arrays come as a DataFrame with integer column labels. */
function pyColumn(origin: DatasetOrigin, name: string): string {
  return origin.kind === 'kernel' && origin.library === 'numpy' && /^\d+$/.test(name) ? name : py(name);
}

/** Integer types pandas' nullable Int64 holds; wider ones (UBIGINT, HUGEINT) are left to pandas. */
const INT64_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/i;

/** The delimiter the engine used: one it was made to use, else the one it found. */
function delimiterOf(origin: Extract<DatasetOrigin, { kind: 'file' }>, csv: CsvReading | undefined): string | undefined {
  return origin.delimiter ?? csv?.delimiter ?? (origin.format === 'tsv' ? '\t' : undefined);
}

const isText = (origin: DatasetOrigin): origin is Extract<DatasetOrigin, { kind: 'file' }> => origin.kind === 'file' && (origin.format === 'csv' || origin.format === 'tsv');

/**
 * read_csv's options for the values the engine reads: the engine's column names (DuckDB names
 * a repeated header a_1, a blank one column0, and trims spaces; pandas would say a.1, Unnamed: 0),
 * only an empty field is missing (pandas would also take "NA", "null", "N/A"… as missing; DuckDB
 * keeps them as text), integer columns stay integers when some are missing (Int64, not float64:
 * 3, not 3.0), text and dates stay text (dates are parsed after, with the engine's format), and
 * the encoding and delimiter the engine had to use.
 */
function pandasCsvOptions(origin: Extract<DatasetOrigin, { kind: 'file' }>, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string[] {
  const delimiter = delimiterOf(origin, csv);
  const options = delimiter && delimiter !== ',' ? [`sep=${py(delimiter)}`] : [];
  if (columns.length) options.push(`header=${csv?.header === false ? 'None' : '0'}`, `names=[${columns.map((c) => py(c.name)).join(', ')}]`);
  options.push('keep_default_na=False', 'na_values=[""]');
  const dtypes = columns.flatMap((c) => {
    if (c.kind === 'integer' && INT64_TYPES.test(c.type)) return [`${py(c.name)}: "Int64"`];
    if (c.kind === 'float') return [`${py(c.name)}: "float64"`];
    if (c.kind === 'string' || isDated(c.kind)) return [`${py(c.name)}: "str"`];
    return [];
  });
  if (dtypes.length) options.push(`dtype={${dtypes.join(', ')}}`);
  if (origin.encoding) options.push(`encoding=${py(origin.encoding)}`);
  return options;
}

function pandasSource(origin: DatasetOrigin, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string[] {
  if (origin.kind === 'kernel') {
    if (origin.library === 'pandas') return [`df = ${origin.variable}`];
    if (origin.library === 'polars') return [`df = ${origin.variable}.to_pandas()`];
    return [`df = pd.DataFrame(${origin.variable})`];
  }
  const p = py(origin.path);
  switch (origin.format) {
    case 'csv':
    case 'tsv':
      return [`df = pd.read_csv(${[p, ...pandasCsvOptions(origin, columns, csv)].join(', ')})`, ...pandasDates(origin, columns, csv)];
    case 'parquet':
      return [`df = pd.read_parquet(${p})`, ...pandasDates(origin, columns, csv)];
    case 'jsonl':
      return [`df = pd.read_json(${p}, lines=True)`, ...pandasJsonText(origin), ...pandasDates(origin, columns, csv)];
    case 'arrow':
      return [`df = pd.read_feather(${p})`, ...pandasDates(origin, columns, csv)];
  }
}

/** Mixed-type JSON columns as the grid shows them (fileRelation.ts jsonAsText): strings as they are, the rest as compact JSON. */
function pandasJsonText(origin: Extract<DatasetOrigin, { kind: 'file' }>): string[] {
  return (origin.jsonText ?? []).map((c) => `df[${py(c)}] = df[${py(c)}].map(lambda v: v if v is None or v != v or isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False))`);
}

/**
 * The columns the engine holds as dates or timestamps, as datetime64: a CSV's and a JSON file's text
 * parsed with the engine's format, a Parquet or Arrow DATE (which pandas reads as datetime.date
 * objects, which neither text nor pd.Timestamp compares with). Timestamps with a zone as UTC instants
 * (the grid shows the same instants in the local zone).
 */
function pandasDates(origin: Extract<DatasetOrigin, { kind: 'file' }>, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string[] {
  const typed = origin.format === 'parquet' || origin.format === 'arrow';
  return columns
    .filter((c) => (typed ? c.kind === 'date' : isDated(c.kind)))
    .map((c) => {
      const format = isText(origin) ? textDateFormat(c, csv, 'pandas') : undefined;
      const options = [...(format ? [`format=${py(format)}`] : []), ...(isZoned(c) ? ['utc=True'] : [])];
      return `df[${py(c.name)}] = pd.to_datetime(${[`df[${py(c.name)}]`, ...options].join(', ')})`;
    });
}

const isZoned = (c: DatasetColumn): boolean => /WITH TIME ZONE|TIMESTAMPTZ/i.test(c.type);

/**
 * The strftime format the engine read a CSV column's dates or timestamps with, for Python's
 * strptime or polars (chrono, which reads a fraction as %.f); undefined for ISO 8601, which both
 * read unaided, and for a format with codes they do not share with DuckDB.
 */
function textDateFormat(c: DatasetColumn, csv: CsvReading | undefined, language: 'pandas' | 'polars'): string | undefined {
  const format = c.kind === 'date' ? csv?.dateFormat : c.kind === 'timestamp' && !isZoned(c) ? csv?.timestampFormat : undefined;
  if (!format || !/^(?:[^%]|%[YymdHIMSpf%])*$/.test(format)) return undefined;
  return language === 'polars' ? format.replaceAll('.%f', '%.f') : format;
}

function pandasCondition(origin: DatasetOrigin, f: ColumnFilter, kinds: ReadonlyMap<string, string>): string {
  const c = `df[${pyColumn(origin, f.column)}]`;
  const kind = kinds.get(f.column);
  switch (f.op) {
    case 'range': {
      const parts: string[] = [];
      if (f.min !== undefined && f.min !== null) parts.push(`(${c} >= ${pdValue(f.min, kind)})`);
      if (f.max !== undefined && f.max !== null) parts.push(`(${c} <= ${pdValue(f.max, kind)})`);
      return parts.length ? parts.join(' & ') : `${c}.notna()`;
    }
    case 'equals':
      return f.value === null ? `${c}.isna()` : `(${c} == ${pdValue(f.value, kind)})`;
    case 'contains': {
      // A date as the engine writes it (2020-01-05), not as pandas does a datetime64 (2020-01-05 00:00:00 when any has a time).
      const text = kind === 'date' && origin.kind === 'file' ? `${c}.dt.strftime("%Y-%m-%d")` : `${c}.astype(str)`;
      return `(${c}.notna() & ${text}.str.contains(${py(f.text)}, case=${f.caseSensitive ? 'True' : 'False'}, regex=False))`;
    }
    case 'isNull':
      return f.negate ? `${c}.notna()` : `${c}.isna()`;
    case 'topK':
      // value_counts drops missing values; sorting by value first, then stably by count, breaks ties by value.
      return `${c}.isin(${c}.value_counts().sort_index().sort_values(ascending=False, kind="stable").head(${Math.max(1, Math.trunc(f.k))}).index)`;
  }
}

function pandasCode(origin: DatasetOrigin, view: DatasetView, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string {
  const kinds = new Map(columns.map((c) => [c.name, c.kind]));
  const lines = ['import pandas as pd', ...(origin.kind === 'file' && origin.jsonText?.length ? ['import json'] : []), '', ...pandasSource(origin, columns, csv)];
  if (view.filters.length) lines.push(`df = df[${view.filters.map((f) => pandasCondition(origin, f, kinds)).join('\n        & ')}]`);
  if (view.sort.length) {
    const by = view.sort.map((k) => pyColumn(origin, k.column)).join(', ');
    const ascending = view.sort.map((k) => (k.descending ? 'False' : 'True')).join(', ');
    // A stable sort keeps ties in the source's order; missing values go last in both directions.
    lines.push(`df = df.sort_values([${by}], ascending=[${ascending}], na_position="last", kind="stable")`);
  }
  lines.push('df = df.reset_index(drop=True)');
  return `${lines.join('\n')}\n`;
}

function polarsSource(origin: DatasetOrigin, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string[] {
  if (origin.kind === 'kernel') {
    if (origin.library === 'polars') return [`df = ${origin.variable}`];
    return [origin.library === 'numpy' ? `df = pl.DataFrame(${origin.variable})` : `df = pl.from_pandas(${origin.variable})`];
  }
  const p = py(origin.path);
  switch (origin.format) {
    case 'csv':
    case 'tsv': {
      // polars, like the engine, takes only an empty field as missing. The engine's names, as for pandas.
      const delimiter = delimiterOf(origin, csv);
      const options = [p, ...(delimiter && delimiter !== ',' ? [`separator=${py(delimiter)}`] : [])];
      if (csv?.header === false) options.push('has_header=False');
      if (columns.length) options.push(`new_columns=[${columns.map((c) => py(c.name)).join(', ')}]`);
      if (origin.encoding) options.push(`encoding=${py(origin.encoding)}`);
      // polars guesses types from 100 rows: a column with a late value that is not a number stays text, as in the engine.
      if (origin.textColumns?.length) options.push(`schema_overrides={${origin.textColumns.map((c) => `${py(c)}: pl.Utf8`).join(', ')}}`);
      return [`df = pl.read_csv(${options.join(', ')})`, ...polarsDates(origin, columns, csv)];
    }
    case 'parquet':
      return [`df = pl.read_parquet(${p})`];
    case 'jsonl':
      return [...polarsJsonl(p, origin.jsonText ?? []), ...polarsDates(origin, columns, csv)];
    case 'arrow':
      return [`df = pl.read_ipc(${p})`];
  }
}

/**
 * A JSON lines file, its mixed-type columns read as text (as the grid shows them: fileRelation.ts
 * jsonAsText). polars writes a list or an object in such a column with spaces: made compact again.
 */
function polarsJsonl(p: string, mixed: readonly string[]): string[] {
  if (!mixed.length) return [`df = pl.read_ndjson(${p})`];
  return [
    'def compact(s):  # a list or an object as compact JSON, as the grid shows it',
    '    try:',
    '        return json.dumps(json.loads(s), separators=(",", ":"), ensure_ascii=False) if s[:1] in "[{" else s',
    '    except ValueError:',
    '        return s',
    '',
    `df = pl.read_ndjson(${p}, schema_overrides={${mixed.map((c) => `${py(c)}: pl.String`).join(', ')}})`,
    `df = df.with_columns(${mixed.map((c) => `pl.col(${py(c)}).map_elements(compact, return_dtype=pl.String)`).join(', ')})`,
  ];
}

/** A CSV's or a JSON file's date and timestamp text parsed with the engine's format (polars infers ISO 8601 itself). */
function polarsDates(origin: Extract<DatasetOrigin, { kind: 'file' }>, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string[] {
  const parsed = columns.filter((c) => isDated(c.kind)).map((c) => {
    const format = isText(origin) ? textDateFormat(c, csv, 'polars') : undefined;
    const options = [...(format ? [py(format)] : []), ...(isZoned(c) ? ['time_zone="UTC"'] : [])].join(', ');
    return `pl.col(${py(c.name)}).str.${c.kind === 'date' ? 'to_date' : 'to_datetime'}(${options})`;
  });
  return parsed.length ? [`df = df.with_columns(${parsed.join(', ')})`] : [];
}

/** A polars literal: dates and timestamps as pl.date / pl.datetime so they compare with typed columns. */
function plValue(value: Cell, column: DatasetColumn | undefined): string {
  if (typeof value === 'string' && column && isDated(column.kind)) {
    if (isZoned(column)) return `pl.lit(${py(value)}).str.to_datetime(time_zone="UTC")`;
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/.exec(value);
    if (m) {
      const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
      const micros = m[7] ? `, ${Number(m[7].padEnd(6, '0'))}` : '';
      return column.kind === 'date' ? `pl.date(${y}, ${mo}, ${d})` : `pl.datetime(${y}, ${mo}, ${d}, ${h}, ${mi}, ${s}${micros})`;
    }
  }
  return `pl.lit(${pyValue(value)})`;
}

/** polars names a numpy array's columns column_0, column_1, …. */
function plName(origin: DatasetOrigin, column: string): string {
  return origin.kind === 'kernel' && origin.library === 'numpy' && /^\d+$/.test(column) ? py(`column_${column}`) : py(column);
}

function polarsCondition(origin: DatasetOrigin, f: ColumnFilter, byName: ReadonlyMap<string, DatasetColumn>): string {
  const name = plName(origin, f.column);
  const c = `pl.col(${name})`;
  const column = byName.get(f.column);
  switch (f.op) {
    case 'range': {
      const parts: string[] = [];
      if (f.min !== undefined && f.min !== null) parts.push(`(${c} >= ${plValue(f.min, column)})`);
      if (f.max !== undefined && f.max !== null) parts.push(`(${c} <= ${plValue(f.max, column)})`);
      return parts.length ? parts.join(' & ') : `${c}.is_not_null()`;
    }
    case 'equals':
      return f.value === null ? `${c}.is_null()` : `(${c} == ${plValue(f.value, column)})`;
    case 'contains':
      return f.caseSensitive ? `${c}.cast(pl.Utf8).str.contains(${py(f.text)}, literal=True)` : `${c}.cast(pl.Utf8).str.to_lowercase().str.contains(${py(f.text.toLowerCase())}, literal=True)`;
    case 'isNull':
      return f.negate ? `${c}.is_not_null()` : `${c}.is_null()`;
    case 'topK':
      return `${c}.is_in(df.filter(${c}.is_not_null()).group_by(${name}).agg(pl.len().alias("__n")).sort(["__n", ${name}], descending=[True, False]).head(${Math.max(1, Math.trunc(f.k))}).get_column(${name}))`;
  }
}

function polarsCode(origin: DatasetOrigin, view: DatasetView, columns: readonly DatasetColumn[], csv: CsvReading | undefined): string {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const lines = ['import polars as pl', ...(origin.kind === 'file' && origin.jsonText?.length ? ['import json'] : []), '', ...polarsSource(origin, columns, csv)];
  if (view.filters.length) lines.push(`df = df.filter(${view.filters.map((f) => polarsCondition(origin, f, byName)).join('\n        & ')})`);
  if (view.sort.length) {
    const by = view.sort.map((k) => plName(origin, k.column)).join(', ');
    const descending = view.sort.map((k) => (k.descending ? 'True' : 'False')).join(', ');
    lines.push(`df = df.sort([${by}], descending=[${descending}], nulls_last=True, maintain_order=True)`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- SQL (DuckDB) ------------------------------------------------------------------------------

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

function sqlValue(value: Cell, kind: string | undefined): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${sqlString(String(value))}::DOUBLE`;
  if (kind === 'date') return `DATE ${sqlString(value)}`;
  if (kind === 'timestamp') return `TIMESTAMP ${sqlString(value)}`;
  return sqlString(value);
}

function sqlSource(origin: DatasetOrigin, rowNumber: boolean): string {
  if (origin.kind === 'kernel') {
    // DuckDB in Python reads a pandas or polars DataFrame (or a numpy array) in scope by its name.
    return rowNumber ? `SELECT *, row_number() OVER () AS __row FROM ${ident(origin.variable)}` : `SELECT * FROM ${ident(origin.variable)}`;
  }
  const p = sqlString(origin.path);
  if (origin.format === 'parquet') return `SELECT * FROM read_parquet(${p}${rowNumber ? ', file_row_number = true' : ''})`;
  const scan = origin.format === 'csv' || origin.format === 'tsv' ? `read_csv(${[p, ...csvSqlOptions(origin)].join(', ')})` : origin.format === 'jsonl' ? jsonAsText(`read_json(${p}, format = 'newline_delimited')`, origin.jsonText) : `read_arrow(${p})`;
  return rowNumber ? `SELECT *, row_number() OVER () AS __row FROM ${scan}` : `SELECT * FROM ${scan}`;
}

function csvSqlOptions(origin: Extract<DatasetOrigin, { kind: 'file' }>): string[] {
  const delimiter = origin.delimiter ?? (origin.format === 'tsv' ? '\t' : undefined);
  const options = delimiter ? [`delim = ${delimiter === '\t' ? "'\\t'" : sqlString(delimiter)}`] : [];
  if (origin.encoding) options.push(`encoding = ${sqlString(origin.encoding)}`);
  if (origin.textColumns?.length) options.push(`types = {${origin.textColumns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ')}}`);
  // The engine's type candidates (no TIME): a bus id like "00000000:00:09.0" stays text.
  options.push(CSV_TYPE_CANDIDATES);
  return options;
}

function sqlCondition(f: ColumnFilter, kinds: ReadonlyMap<string, string>): string {
  const c = ident(f.column);
  const kind = kinds.get(f.column);
  switch (f.op) {
    case 'range': {
      const parts: string[] = [];
      if (f.min !== undefined && f.min !== null) parts.push(`${c} >= ${sqlValue(f.min, kind)}`);
      if (f.max !== undefined && f.max !== null) parts.push(`${c} <= ${sqlValue(f.max, kind)}`);
      return parts.length ? parts.join(' AND ') : `${c} IS NOT NULL`;
    }
    case 'equals':
      return f.value === null ? `${c} IS NULL` : `${c} = ${sqlValue(f.value, kind)}`;
    case 'contains':
      return f.caseSensitive ? `contains(CAST(${c} AS VARCHAR), ${sqlString(f.text)})` : `contains(lower(CAST(${c} AS VARCHAR)), ${sqlString(f.text.toLowerCase())})`;
    case 'isNull':
      return f.negate ? `${c} IS NOT NULL` : `${c} IS NULL`;
    case 'topK':
      return `${c} IN (SELECT ${c} FROM src WHERE ${c} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${Math.max(1, Math.trunc(f.k))})`;
  }
}

function sqlCode(origin: DatasetOrigin, view: DatasetView, kinds: ReadonlyMap<string, string>): string {
  const sorted = view.sort.length > 0;
  const order = origin.kind === 'file' && origin.format === 'parquet' ? 'file_row_number' : '__row';
  // DuckDB reads Arrow IPC through its community extension (a download, once).
  const preamble = origin.kind === 'file' && origin.format === 'arrow' ? ['INSTALL arrow FROM community;', 'LOAD arrow;'] : [];
  const lines = [...preamble, `WITH src AS (${sqlSource(origin, sorted)})`, sorted ? `SELECT * EXCLUDE (${order}) FROM src` : 'SELECT * FROM src'];
  if (view.filters.length) lines.push(`WHERE ${view.filters.map((f) => `(${sqlCondition(f, kinds)})`).join('\n  AND ')}`);
  if (sorted) lines.push(`ORDER BY ${[...view.sort.map((k) => `${ident(k.column)} ${k.descending ? 'DESC' : 'ASC'} NULLS LAST`), order].join(', ')}`);
  return `${lines.join('\n')};\n`;
}
