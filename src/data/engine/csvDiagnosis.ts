// When DuckDB's CSV sniffer gives up ("not possible to automatically detect the CSV parsing
// dialect"), the usual cause is a ragged row. Reading the file again with the dialect fixed and
// every column as text makes DuckDB name the line and its field count, which is what a person needs.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { isAbortError, UserError } from '../../common/errors';
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

/** Rows DuckDB's sniffer samples by default: the lines checked before it sees the file. */
export const SNIFF_LINES = 20_480;

/**
 * Throws a UserError when one of the first `lines` lines is longer than `maxLineBytes`. DuckDB's
 * CSV sniffer does not stop at max_line_size and cannot be interrupted while it sniffs (a 100 MB
 * line took minutes), so a text file is measured here first: at most lines × maxLineBytes bytes are
 * read, and a one-line 10 GB file fails after the first maxLineBytes.
 */
export async function checkLineLengths(path: string, label: string, maxLineBytes: number, lines = SNIFF_LINES, signal?: AbortSignal): Promise<void> {
  const stream = path.toLowerCase().endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path, { highWaterMark: 1 << 20 });
  let line = 1;
  let length = 0;
  let offset = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        const piece = (nl < 0 ? chunk.length : nl) - start;
        length += piece;
        if (length > maxLineBytes) throw new UserError(`${label} could not be read: line ${line} (from byte ${offset + start - (length - piece)}) is longer than ${Math.round(maxLineBytes / 1048576)} MB, the longest line the viewer reads. A text file with lines this long is not a table: is it the right file, or is it one JSON document?`);
        if (nl < 0) break;
        line++;
        length = 0;
        start = nl + 1;
        if (line > lines) return;
      }
      offset += chunk.length;
    }
  } catch (error) {
    if (error instanceof UserError || isAbortError(error)) throw error;
    // A gzip stream that ends early is the engine's to report, with its own words.
  } finally {
    stream.destroy();
  }
}
