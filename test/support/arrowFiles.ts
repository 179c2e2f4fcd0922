// Arrow IPC (Feather v2) files written by polars (nodejs-polars: the Rust IPC writer that Python's
// polars uses), compressed as they are in the wild, and a file whose codec byte is changed to one
// Arrow does not define, or a buffer shorter than its rows (a flatbuffer walk over the file's messages:
// no writer makes such files).
import { readFileSync, writeFileSync } from 'node:fs';
import pl from 'nodejs-polars';

export type IpcCompression = 'lz4' | 'zstd' | 'uncompressed';

/** `rows` rows: id (Int64), score (Float64, every third null), label (String), ok (Bool), day (Date). */
export function writePolarsIpc(path: string, rows: number, compression: IpcCompression): void {
  const ids = Array.from({ length: rows }, (_, i) => i);
  pl.DataFrame([
    pl.Series('id', ids, pl.Int64),
    pl.Series('score', ids.map((i) => (i % 3 === 0 ? null : i / 4)), pl.Float64),
    pl.Series('label', ids.map((i) => ['cat', 'dog', 'bird'][i % 3] ?? ''), pl.Utf8),
    pl.Series('ok', ids.map((i) => i % 2 === 0), pl.Bool),
    pl.Series('day', ids.map((i) => new Date(Date.UTC(2024, 0, 1 + (i % 366)))), pl.Date),
  ]).writeIPC(path, { compression });
}

/** The position of field `index` of the flatbuffer table at `table`, or undefined when absent. */
function field(buf: Buffer, table: number, index: number): number | undefined {
  const vtable = table - buf.readInt32LE(table);
  const slot = 4 + 2 * index;
  if (slot >= buf.readUInt16LE(vtable)) return undefined;
  const offset = buf.readUInt16LE(vtable + slot);
  return offset ? table + offset : undefined;
}

/** Calls `patch` with the position of each record batch's RecordBatch table; returns how many it patched. */
function patchRecordBatches(path: string, patch: (buf: Buffer, header: number) => boolean): number {
  const buf = readFileSync(path);
  let patched = 0;
  // After the file's magic (8 bytes): messages, each 0xFFFFFFFF, its length, the Message flatbuffer, its body.
  for (let at = 8; buf.readUInt32LE(at) === 0xffffffff && buf.readInt32LE(at + 4) > 0; ) {
    const meta = at + 8;
    const root = meta + buf.readUInt32LE(meta);
    const typeAt = field(buf, root, 1);
    const headerAt = field(buf, root, 2);
    const bodyAt = field(buf, root, 3);
    if (buf[typeAt ?? -1] === 3 && headerAt !== undefined && patch(buf, headerAt + buf.readUInt32LE(headerAt))) patched++;
    at = meta + buf.readInt32LE(at + 4) + Number(bodyAt === undefined ? 0n : buf.readBigInt64LE(bodyAt));
  }
  if (patched === 0) throw new Error(`no record batch to patch in ${path}`);
  writeFileSync(path, buf);
  return patched;
}

/** Rewrites the codec byte of every compressed record batch of an IPC file (its codec must not be LZ4_FRAME, the default a writer may omit). */
export function setCodecByte(path: string, codec: number): void {
  patchRecordBatches(path, (buf, header) => {
    const compressionAt = field(buf, header, 3);
    const codecAt = compressionAt === undefined ? undefined : field(buf, compressionAt + buf.readUInt32LE(compressionAt), 0);
    if (codecAt === undefined) return false;
    buf[codecAt] = codec;
    return true;
  });
}

/** Shortens buffer `index` (RecordBatch.buffers: validity, values, ... column by column) of every uncompressed record batch to `length` bytes, its row count kept: no writer makes such a file. */
export function setBufferLength(path: string, index: number, length: number): void {
  patchRecordBatches(path, (buf, header) => {
    const buffersAt = field(buf, header, 2);
    if (buffersAt === undefined) return false;
    const vector = buffersAt + buf.readUInt32LE(buffersAt);
    if (index >= buf.readUInt32LE(vector)) return false;
    buf.writeBigInt64LE(BigInt(length), vector + 4 + 16 * index + 8);
    return true;
  });
}
