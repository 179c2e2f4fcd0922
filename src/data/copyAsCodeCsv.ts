// What Copy as Code's pandas and polars code needs to read a CSV as the engine did, asked of the
// engine's own sniffer: whether line 1 is a header (a file without one would lose its first row
// in pandas' default), its delimiter, and the formats of its dates (US 12/31/2019, 31.12.2019, 3:04:05 PM), so
// the code parses them into the values the grid shows rather than comparing text.
import { copyAsCode, type CodeLanguage, type CsvReading } from './copyAsCode';
import type { DatasetColumn, DatasetOrigin, DatasetView } from './datasetSource';
import type { DataEngine } from './engine/engineClient';
import { directScan } from './engine/fileRelation';
import { SqlParams } from './engine/sqlText';

/** How the engine reads a CSV origin (the same scan options, through sniff_csv); undefined for other origins or when DuckDB cannot say. */
export async function csvReading(engine: DataEngine, origin: DatasetOrigin, signal?: AbortSignal): Promise<CsvReading | undefined> {
  if (origin.kind !== 'file' || (origin.format !== 'csv' && origin.format !== 'tsv')) return undefined;
  const params = new SqlParams();
  const scan = directScan(origin.format, origin.path, params, { ...(origin.encoding ? { encoding: origin.encoding } : {}), ...(origin.delimiter ? { delimiter: origin.delimiter } : {}) });
  // sniff_csv takes read_csv's options and reports what read_csv would decide with them.
  const sql = `SELECT HasHeader, Delimiter, DateFormat, TimestampFormat FROM ${scan.replace(/^read_csv\(/, 'sniff_csv(')}`;
  try {
    const [row] = (await engine.query(sql, { params: params.values, maxRows: 1 }, signal)).rows;
    if (!row) return undefined;
    const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const [delimiter, dateFormat, timestampFormat] = [text(row[1]), text(row[2]), text(row[3])];
    return { header: row[0] !== false, ...(delimiter ? { delimiter } : {}), ...(dateFormat ? { dateFormat } : {}), ...(timestampFormat ? { timestampFormat } : {}) };
  } catch {
    signal?.throwIfAborted();
    // The code is still worth copying: it then reads with pandas' and polars' own defaults.
    return undefined;
  }
}

/** Copy as Code for the viewer: the pandas and polars code of a CSV read as `engine` reads it. */
export function copyAsCodeOn(engine: DataEngine) {
  return async (origin: DatasetOrigin, view: DatasetView, language: CodeLanguage, columns: readonly DatasetColumn[]): Promise<string> => {
    const csv = language === 'sql' ? undefined : await csvReading(engine, origin);
    return copyAsCode(origin, view, language, columns, csv);
  };
}
