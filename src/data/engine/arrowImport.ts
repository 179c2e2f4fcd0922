// Arrow IPC files (.arrow, Feather v2) into a DuckDB table. DuckDB reads Arrow IPC only through its
// `arrow` (nanoarrow) community extension, which is downloaded on first use: no download can happen
// here or on an offline machine, and a bundled extension would tie us to one DuckDB build. So the
// Apache Arrow project's own JavaScript reader (apache-arrow) reads the file batch by batch (never
// the whole file at once) and DuckDB's appender writes the rows. Feather v1 (pre-2019, not Arrow
// IPC) is refused with a message. Nested, decimal and binary values arrive as their text. Compressed
// record batches (LZ4_FRAME, ZSTD) are decoded by the codecs arrowCodecs.ts registers.
import './arrowCodecs';
import { createReadStream } from 'node:fs';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { RecordBatchReader, Type, type DataType, type Field } from 'apache-arrow';

interface ColumnPlan {
  readonly sqlType: string;
  append(appender: DuckDBAppender, value: unknown): void;
}

function epochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  return Number(value);
}

function plan(type: DataType): ColumnPlan {
  switch (type.typeId) {
    case Type.Bool:
      return { sqlType: 'BOOLEAN', append: (a, v) => a.appendBoolean(Boolean(v)) };
    case Type.Int: {
      const { bitWidth, isSigned } = type as DataType & { bitWidth: number; isSigned: boolean };
      if (bitWidth === 64) return isSigned ? { sqlType: 'BIGINT', append: (a, v) => a.appendBigInt(BigInt(v as bigint)) } : { sqlType: 'UBIGINT', append: (a, v) => a.appendUBigInt(BigInt(v as bigint)) };
      return { sqlType: isSigned ? 'INTEGER' : 'UINTEGER', append: (a, v) => (isSigned ? a.appendInteger(Number(v)) : a.appendUInteger(Number(v))) };
    }
    case Type.Float: {
      const single = (type as DataType & { precision: number }).precision === 1;
      return single ? { sqlType: 'FLOAT', append: (a, v) => a.appendFloat(Number(v)) } : { sqlType: 'DOUBLE', append: (a, v) => a.appendDouble(Number(v)) };
    }
    case Type.Date:
      return { sqlType: 'DATE', append: (a, v) => a.appendVarchar(new Date(epochMs(v)).toISOString().slice(0, 10)) };
    case Type.Timestamp:
      return { sqlType: 'TIMESTAMP', append: (a, v) => a.appendVarchar(new Date(epochMs(v)).toISOString().replace('T', ' ').replace('Z', '')) };
    default:
      // Strings, dictionary-encoded strings (categories) and everything else: as text.
      return { sqlType: 'VARCHAR', append: (a, v) => a.appendVarchar(typeof v === 'string' ? v : textOf(v)) };
  }
}

function textOf(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'toJSON' in value) {
    const toJSON = (value as { toJSON: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return JSON.stringify(toJSON.call(value), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

/** Rows appended between two looks at the event loop: a cancel (and any other message) is seen within milliseconds. */
const ROWS_PER_SLICE = 8192;

/**
 * Appends the file's rows to a new table, a slice at a time with the event loop let go between
 * slices, so the child still hears a cancel; `signal` aborted stops it and drops the table.
 */
export async function importArrowIpc(connection: DuckDBConnection, table: string, path: string, signal: AbortSignal): Promise<void> {
  const stream = createReadStream(path);
  try {
    const reader = await RecordBatchReader.from(stream);
    await reader.open();
    const fields: Field[] = reader.schema.fields;
    if (fields.length === 0) throw new Error('Arrow Error: the file holds no columns');
    const plans = fields.map((f) => plan(f.type as DataType));
    const columns = fields.map((f, i) => `"${f.name.replaceAll('"', '""')}" ${plans[i]?.sqlType ?? 'VARCHAR'}`);
    await connection.run(`CREATE TABLE "${table}" (${columns.join(', ')})`);
    const appender = await connection.createAppender(table);
    for await (const batch of reader) {
      const vectors = fields.map((_, i) => batch.getChildAt(i));
      for (let row = 0; row < batch.numRows; row++) {
        if (row % ROWS_PER_SLICE === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (signal.aborted) throw new Error('INTERRUPT Error: Interrupted!');
        }
        for (let col = 0; col < vectors.length; col++) {
          const value: unknown = vectors[col]?.get(row);
          if (value === null || value === undefined) appender.appendNull();
          else plans[col]?.append(appender, value);
        }
        appender.endRow();
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
