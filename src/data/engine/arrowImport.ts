// Arrow IPC files (.arrow, Feather v2) into a DuckDB table. DuckDB reads Arrow IPC only through its
// `arrow` (nanoarrow) community extension, which is downloaded on first use: no download can happen
// here or on an offline machine, and a bundled extension would tie us to one DuckDB build. So the
// Apache Arrow project's own JavaScript reader (apache-arrow) reads the file batch by batch (never
// the whole file at once) and DuckDB's appender takes them a data chunk at a time, filled column by
// column (arrowColumns.ts). Feather v1 (pre-2019, not Arrow IPC) is refused with a message. Nested,
// decimal and binary values arrive as their text. Compressed record batches (LZ4_FRAME, ZSTD) are
// decoded by the codecs arrowCodecs.ts registers.
import './arrowCodecs';
import { createReadStream } from 'node:fs';
import { DuckDBDataChunk, type DuckDBConnection } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { RecordBatchReader, type DataType, type Field, type Vector } from 'apache-arrow';
import { CHUNK_ROWS, columnPlan, type ColumnPlan } from './arrowColumns';

/** Rows appended between two looks at the event loop (a multiple of CHUNK_ROWS): a cancel (and any other message) is seen within milliseconds. */
const ROWS_PER_SLICE = 4 * CHUNK_ROWS;

/** One column of a chunk; every column is written (a chunk's unwritten memory would be appended as values), and a failure names the column. Exported for its test. */
export function fillColumn(chunk: DuckDBDataChunk, col: number, vector: Vector | null | undefined, name: string | undefined, from: number, count: number, plan: ColumnPlan | undefined): void {
  try {
    if (!vector || !plan) throw new Error('the record batch lacks it (a damaged file)');
    plan.fill(duckdb.data_chunk_get_vector(chunk.chunk, col), vector, from, count);
  } catch (error) {
    throw new Error(`Arrow Error: column "${name ?? col}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Appends the file's rows to a new table, a slice at a time with the event loop let go between
 * slices, so the child still hears a cancel; `signal` aborted stops it and drops the table.
 * `maxRows`: only the first rows (the first page's table, read while the whole file is not).
 */
export async function importArrowIpc(connection: DuckDBConnection, table: string, path: string, signal: AbortSignal, maxRows = Infinity): Promise<void> {
  const stream = createReadStream(path);
  try {
    const reader = await RecordBatchReader.from(stream);
    await reader.open();
    const fields: Field[] = reader.schema.fields;
    if (fields.length === 0) throw new Error('Arrow Error: the file holds no columns');
    const plans = fields.map((f) => columnPlan(f.type as DataType));
    const columns = fields.map((f, i) => `"${f.name.replaceAll('"', '""')}" ${plans[i]?.sqlType ?? 'VARCHAR'}`);
    await connection.run(`CREATE TABLE "${table}" (${columns.join(', ')})`);
    const appender = await connection.createAppender(table);
    const types = plans.map((p) => p.type);
    let left = maxRows;
    for await (const batch of reader) {
      if (left <= 0) break;
      // A child the batch lacks: null (getChildAt would throw apache-arrow's own, unclear error), refused by fillColumn.
      const vectors = fields.map((_, i) => (batch.data.children[i] ? batch.getChildAt(i) : null));
      const rows = Math.min(batch.numRows, left);
      left -= rows;
      // Column by column into a data chunk of CHUNK_ROWS rows (arrowColumns.ts), appended whole.
      for (let from = 0; from < rows; from += CHUNK_ROWS) {
        if (from % ROWS_PER_SLICE === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (signal.aborted) throw new Error('INTERRUPT Error: Interrupted!');
        }
        const count = Math.min(CHUNK_ROWS, rows - from);
        const chunk = DuckDBDataChunk.create(types);
        for (let col = 0; col < plans.length; col++) fillColumn(chunk, col, vectors[col], fields[col]?.name, from, count, plans[col]);
        chunk.rowCount = count;
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    }
    appender.closeSync();
  } catch (error) {
    await connection.run(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(/^(Arrow|INTERRUPT) Error/.test(message) ? message : `Arrow Error: ${message}`, { cause: error });
  } finally {
    stream.destroy();
  }
}
