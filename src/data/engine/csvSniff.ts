// A big CSV's dialect and columns, sniffed once and written out for the profile's reads of it (the
// sample spread over the file and the one scan of every row): DuckDB's read_csv sniffs the file
// again on every read otherwise, serially, before its threads start (measured on the bench's 1 GB
// CSV: 0.1 s of its 20,480 rows each time; the sample's three reads spent as much on their own
// sniffs). sniff_csv, given read_csv's options, reports what read_csv would decide with them, so
// a read with these options (auto_detect = false) gives the rows the sniffing read gives.
import type { Cell, DatasetColumn } from '../datasetSource';

/** What sniff_csv decided for a file: every option a read without sniffing needs. */
export interface SniffedCsv {
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  readonly newLine: string;
  readonly comment: string;
  readonly header: boolean;
  readonly columns: readonly Pick<DatasetColumn, 'name' | 'type'>[];
  readonly dateFormat?: string;
  readonly timestampFormat?: string;
}

/** The query asking DuckDB's sniffer what `scan` (a read_csv call) would decide. */
export function sniffSql(scan: string): string {
  if (!scan.startsWith('read_csv(')) throw new Error(`not a CSV scan: ${scan.slice(0, 40)}`);
  return `SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, to_json(Columns), DateFormat, TimestampFormat FROM sniff_csv(${scan.slice('read_csv('.length)}`;
}

const NEW_LINES = new Set(['\\n', '\\r\\n', '\\r']);
// Types as DuckDB names them (DECIMAL(18,3), TIMESTAMP WITH TIME ZONE): written back as they came.
const TYPE = /^[A-Z][A-Z0-9_ ]*(\(\d+(, ?\d+)?\))?$/i;

/** sniff_csv's row as options, or undefined for anything this does not know how to write back (the reads then sniff for themselves). */
export function sniffedFrom(row: readonly Cell[] | undefined): SniffedCsv | undefined {
  if (!row) return undefined;
  const [delimiter, quote, escape, newLine, comment, skip, header, columnsJson, dateFormat, timestampFormat] = row;
  // "(empty)": no quote, escape or comment character.
  const char = (v: Cell | undefined): string | undefined => (v === '(empty)' ? '' : typeof v === 'string' && v.length <= 2 ? v : undefined);
  const [d, q, e, c] = [char(delimiter), char(quote), char(escape), char(comment)];
  if (!d || q === undefined || e === undefined || c === undefined || typeof newLine !== 'string' || !NEW_LINES.has(newLine)) return undefined;
  if (Number(skip) !== 0 || typeof header !== 'boolean' || typeof columnsJson !== 'string') return undefined;
  let columns: unknown;
  try {
    columns = JSON.parse(columnsJson);
  } catch {
    return undefined;
  }
  if (!Array.isArray(columns) || columns.length === 0) return undefined;
  const cols: { name: string; type: string }[] = [];
  for (const col of columns as unknown[]) {
    const { name, type } = (col ?? {}) as { name?: unknown; type?: unknown };
    if (typeof name !== 'string' || typeof type !== 'string' || !TYPE.test(type)) return undefined;
    cols.push({ name, type });
  }
  const format = (v: Cell | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const [df, tf] = [format(dateFormat), format(timestampFormat)];
  return { delimiter: d, quote: q, escape: e, newLine, comment: c, header, columns: cols, ...(df ? { dateFormat: df } : {}), ...(tf ? { timestampFormat: tf } : {}) };
}

const ISO_DATE = '%Y-%m-%d';

const text = (v: string): string => `'${v.replaceAll("'", "''")}'`;

/** read_csv's options for a read without sniffing, the columns in `textColumns` read as text (lateValues.ts). */
export function sniffedOptions(s: SniffedCsv, textColumns: readonly string[] = []): string[] {
  const asText = new Set(textColumns);
  const columns = s.columns.map((c) => `${text(c.name)}: ${text(asText.has(c.name) ? 'VARCHAR' : c.type)}`);
  return [
    'auto_detect = false',
    `delim = ${text(s.delimiter)}`,
    `quote = ${text(s.quote)}`,
    `escape = ${text(s.escape)}`,
    `new_line = ${text(s.newLine)}`,
    `comment = ${text(s.comment)}`,
    `header = ${s.header}`,
    `columns = {${columns.join(', ')}}`,
    // ISO dates through DuckDB's own date cast, as the sniffing read takes them: the format said
    // as such went through strptime, 0.7 s more CPU for 10M dates.
    ...(s.dateFormat && s.dateFormat !== ISO_DATE ? [`dateformat = ${text(s.dateFormat)}`] : []),
    ...(s.timestampFormat ? [`timestampformat = ${text(s.timestampFormat)}`] : []),
  ];
}
