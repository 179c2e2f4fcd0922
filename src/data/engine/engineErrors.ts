// DuckDB's messages made into ones a person can act on: the file's name first, then where (a CSV
// line, a Parquet footer) and what, without the SQL echo and the sniffer's option dump.
import { basename } from 'node:path';
import { isAbortError, isUserError, UserError } from '../../common/errors';
import { EngineQueryError } from './engineClient';

/** DuckDB's own text, cut to what says where and what went wrong. */
export function cleanEngineMessage(message: string): string {
  const lines = message.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    // The SQL echo ("LINE 1: select …") and the sniffer's option dump ("  file = …") say nothing to a user.
    if (/^LINE \d+:/.test(line) || /^\s{2}\w+ = /.test(line)) break;
    if (/^Possible (Solution|fixes)/i.test(line) || /^\* /.test(line.trim())) continue;
    const trimmed = line.trim();
    if (trimmed) kept.push(trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed);
  }
  const text = kept.join(' ').replace(/^(Invalid Input|IO|Conversion|Binder|Parser|Catalog|Not implemented|Invalid|Permission|Out of Memory|Internal|Serialization) Error: /, '');
  return text.replace(/Original Line: /, 'the line reads: ');
}

/** Any failure reading `path` as a UserError naming the file; aborts pass through untouched. */
export function fileError(error: unknown, path: string): unknown {
  if (isAbortError(error)) return error;
  const name = basename(path);
  if (error instanceof EngineQueryError) return new UserError(`${name} could not be read: ${explain(cleanEngineMessage(error.message))}`, { cause: error });
  if (isUserError(error)) return error.message.includes(name) ? error : new UserError(`${name}: ${error.message}`, { cause: error });
  return error;
}

/** A hint for the messages users meet most. */
function explain(message: string): string {
  if (/Parallel CSV Reader currently does not support a full read/i.test(message)) return 'a line is longer than the reader allows (8 MB) or a quote never closes, past the first rows';
  if (/Maximum line size/i.test(message)) return `${message} (a single line this long is not a table: is this the right file?)`;
  if (/Expected Number of Columns/i.test(message)) return `${message} (a row with more or fewer fields than the header: a stray delimiter or an unclosed quote)`;
  if (/don't know what type|deserializ|TProtocol|Thrift/i.test(message)) return `the Parquet footer (the schema and row-group index at the end of the file) could not be decoded: ${message}`;
  if (/No magic bytes|too small to be a Parquet file|footer/i.test(message)) return `${message} (the file is damaged or was cut short: its footer, which holds the schema, is missing or unreadable)`;
  return message;
}
