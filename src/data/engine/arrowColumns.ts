// Arrow columns into DuckDB vectors, a data chunk (at most 2048 rows) at a time, column by column:
// fixed-width values whose bytes DuckDB stores as Arrow does (integers, floats, days) are copied
// buffer to buffer, validity bitmaps too (both are little-endian bit per row); the rest is
// converted value by value. Appending value by value through the appender cost ~1 µs a value
// (3M rows x 5 columns: 15 s of CPU), most of it in calls into the binding.
import duckdb from '@duckdb/node-bindings';
import { BIGINT, BOOLEAN, DATE, DOUBLE, FLOAT, INTEGER, TIMESTAMP, UBIGINT, UINTEGER, VARCHAR, type DuckDBType } from '@duckdb/node-api';
import { Type, type Data, type DataType, type Vector } from 'apache-arrow';

/** DuckDB's vector size: the most rows a data chunk holds. */
export const CHUNK_ROWS = 2048;

export interface ColumnPlan {
  readonly sqlType: string;
  readonly type: DuckDBType;
  /** Writes rows [from, from + count) of the column into `target` (a chunk's vector), nulls included. */
  fill(target: duckdb.Vector, column: Vector, from: number, count: number): void;
}

type Values = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

function single(column: Vector): Data {
  const data = column.data[0];
  if (column.data.length !== 1 || !data) throw new Error('Arrow Error: a record batch column is not one array');
  return data as Data;
}

/** The rows a column's buffer must hold, else an error: apache-arrow sizes buffers from the file's own metadata (or what a codec returned), and DuckDB's copy is a plain memcpy. */
function mustHold(held: number, needed: number, what: string): void {
  if (needed > held) throw new Error(`its ${what} holds ${held} rows, the record batch claims ${needed} (a damaged file)`);
}

function copyBytes(target: duckdb.Vector, values: ArrayBufferView, byteFrom: number, bytes: number): void {
  if (byteFrom < 0 || byteFrom + bytes > values.byteLength || values.byteOffset + byteFrom + bytes > values.buffer.byteLength) throw new Error(`its buffer holds ${values.byteLength} bytes, ${byteFrom + bytes} are needed (a damaged file)`);
  duckdb.copy_data_to_vector(target, 0, values.buffer as ArrayBuffer, values.byteOffset + byteFrom, bytes);
}

/** Copies the validity of rows [from, from + count) when the column has nulls: byte for byte when aligned. */
function copyValidity(target: duckdb.Vector, data: Data, from: number, count: number): void {
  const bitmap = data.nullBitmap as Uint8Array | undefined;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return;
  const start = data.offset + from;
  mustHold(bitmap.length * 8, start + count, 'null bitmap');
  // DuckDB's mask is uint64 words: a whole number of them.
  const bytes = Math.ceil(count / 64) * 8;
  let mask: Uint8Array;
  if (start % 8 === 0 && start / 8 + bytes <= bitmap.length) mask = bitmap.subarray(start / 8, start / 8 + bytes);
  else {
    mask = new Uint8Array(bytes);
    for (let i = 0; i < count; i++) if (((bitmap[(start + i) >> 3] ?? 0) >> ((start + i) & 7)) & 1) mask[i >> 3] = (mask[i >> 3] ?? 0) | (1 << (i & 7));
  }
  duckdb.vector_ensure_validity_writable(target);
  duckdb.copy_data_to_vector_validity(target, 0, mask.buffer as ArrayBuffer, mask.byteOffset, bytes);
}

/** Values whose bytes DuckDB stores as they are (`widen`: into a wider array first, e.g. int16 into INTEGER). */
function copied(sqlType: string, type: DuckDBType, widen?: Int32ArrayConstructor | Uint32ArrayConstructor): ColumnPlan {
  return {
    sqlType,
    type,
    fill(target, column, from, count) {
      const data = single(column);
      const values = data.values as Values;
      const start = data.offset + from;
      mustHold(values.length, start + count, 'values buffer');
      if (widen) {
        const wide = widen.from(values.subarray(start, start + count) as ArrayLike<number>);
        copyBytes(target, wide, 0, wide.byteLength);
      } else copyBytes(target, values, start * values.BYTES_PER_ELEMENT, count * values.BYTES_PER_ELEMENT);
      copyValidity(target, data, from, count);
    },
  };
}

/** Values converted one by one into a typed array DuckDB then takes whole. */
function converted<A extends Int32Array | BigInt64Array | Uint8Array | Float64Array>(sqlType: string, type: DuckDBType, make: (n: number) => A, convert: (data: Data, index: number, out: A, i: number, column: Vector, row: number) => void): ColumnPlan {
  return {
    sqlType,
    type,
    fill(target, column, from, count) {
      const data = single(column);
      const out = make(count);
      for (let i = 0; i < count; i++) convert(data, data.offset + from + i, out, i, column, from + i);
      copyBytes(target, out, 0, out.byteLength);
      copyValidity(target, data, from, count);
    },
  };
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && 'toJSON' in value) {
    const toJSON = (value as { toJSON: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return JSON.stringify(toJSON.call(value), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

/** Anything else, as text, read value by value through apache-arrow (strings, dictionaries, nested, decimals). */
function asText(): ColumnPlan {
  return {
    sqlType: 'VARCHAR',
    type: VARCHAR,
    fill(target, column, from, count) {
      let mask: Uint8Array | undefined;
      for (let i = 0; i < count; i++) {
        const value: unknown = column.get(from + i);
        if (value === null || value === undefined) {
          mask ??= new Uint8Array(Math.ceil(count / 64) * 8).fill(0xff);
          mask[i >> 3] = (mask[i >> 3] ?? 0) & ~(1 << (i & 7));
        } else duckdb.vector_assign_string_element(target, i, textOf(value));
      }
      if (mask) {
        duckdb.vector_ensure_validity_writable(target);
        duckdb.copy_data_to_vector_validity(target, 0, mask.buffer as ArrayBuffer, mask.byteOffset, mask.byteLength);
      }
    },
  };
}

const DAY_MS = 86_400_000;
/** Arrow's TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND) to microseconds. */
const TO_MICROS: readonly ((v: bigint) => bigint)[] = [(v) => v * 1_000_000n, (v) => v * 1000n, (v) => v, (v) => v / 1000n];

export function columnPlan(type: DataType): ColumnPlan {
  switch (type.typeId) {
    case Type.Bool:
      return converted('BOOLEAN', BOOLEAN, (n) => new Uint8Array(n), (data, index, out, i) => {
        out[i] = (((data.values as Uint8Array)[index >> 3] ?? 0) >> (index & 7)) & 1;
      });
    case Type.Int: {
      const { bitWidth, isSigned } = type as DataType & { bitWidth: number; isSigned: boolean };
      if (bitWidth === 64) return isSigned ? copied('BIGINT', BIGINT) : copied('UBIGINT', UBIGINT);
      if (bitWidth === 32) return isSigned ? copied('INTEGER', INTEGER) : copied('UINTEGER', UINTEGER);
      return isSigned ? copied('INTEGER', INTEGER, Int32Array) : copied('UINTEGER', UINTEGER, Uint32Array);
    }
    case Type.Float: {
      const precision = (type as DataType & { precision: number }).precision;
      if (precision === 1) return copied('FLOAT', FLOAT);
      if (precision === 2) return copied('DOUBLE', DOUBLE);
      // Half floats (rare): widened one by one by apache-arrow.
      return converted('DOUBLE', DOUBLE, (n) => new Float64Array(n), (_data, _index, out, i, column, row) => {
        out[i] = Number(column.get(row) ?? 0);
      });
    }
    case Type.Date:
      // DuckDB's DATE is days since the epoch, as Arrow's DateDay; DateMillisecond is divided.
      if ((type as DataType & { unit: number }).unit === 0) return copied('DATE', DATE);
      return converted('DATE', DATE, (n) => new Int32Array(n), (data, index, out, i) => {
        out[i] = Math.floor(Number((data.values as BigInt64Array | Int32Array)[index] ?? 0) / DAY_MS);
      });
    case Type.Timestamp: {
      // DuckDB's TIMESTAMP is microseconds since the epoch (a zone's instant kept as UTC, as before).
      const micros = TO_MICROS[(type as DataType & { unit: number }).unit] ?? ((v: bigint) => v);
      return converted('TIMESTAMP', TIMESTAMP, (n) => new BigInt64Array(n), (data, index, out, i) => {
        out[i] = micros(BigInt((data.values as BigInt64Array)[index] ?? 0n));
      });
    }
    default:
      // Strings, dictionary-encoded strings (categories) and everything else: as text.
      return asText();
  }
}
