// When DuckDB's CSV sniffer gives up ("not possible to automatically detect the CSV parsing
// dialect"), the usual cause is a ragged row. Reading the file again with the dialect fixed and
// every column as text makes DuckDB name the line and its field count, which is what a person needs.
import { open } from 'node:fs/promises';
import type { EngineParam } from './protocol';
import { SqlParams } from './sqlText';

/** Fields in the header line (quotes honoured), or undefined when the first bytes hold no line. */
export async function headerFieldCount(path: string, delimiter: string): Promise<number | undefined> {
  if (path.toLowerCase().endsWith('.gz')) return undefined;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    let text = buffer.subarray(0, bytesRead).toString('latin1');
    if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
    const end = text.search(/\r?\n/);
    if (end < 0) return undefined;
    let fields = 1;
    let quoted = false;
    for (const ch of text.slice(0, end)) {
      if (ch === '"') quoted = !quoted;
      else if (ch === delimiter && !quoted) fields++;
    }
    return fields;
  } finally {
    await handle.close();
  }
}

/** A strict read of the whole file as text columns: its error names the first bad line. */
export function strictScanSql(path: string, delimiter: string, fields: number, maxLineBytes: number): { sql: string; params: EngineParam[] } {
  const params = new SqlParams();
  const p = params.bind(path);
  // Generated names (c1, c2, …): nothing from the file is written into the SQL.
  const columns = Array.from({ length: fields }, (_, i) => `'c${i + 1}': 'VARCHAR'`).join(', ');
  const delim = delimiter === '\t' ? '\\t' : delimiter;
  return {
    sql: `SELECT count(*) FROM read_csv(${p}, auto_detect = false, header = true, delim = '${delim}', quote = '"', escape = '"', max_line_size = ${maxLineBytes}, columns = {${columns}})`,
    params: params.values,
  };
}
