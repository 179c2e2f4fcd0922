import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseCreateTable } from './createTableSql';

// A read-only SQLite file reader in TypeScript (https://www.sqlite.org/fileformat2.html): pages are
// read on demand through a small cache, so a multi-gigabyte mlflow.db is never loaded whole, and
// there is no native module to build per platform. Committed frames of a `-wal` file are applied
// (MLflow's server runs SQLite in WAL mode). It scans rowid tables; that is all a run view needs.

export type SqlValue = null | number | bigint | string | Uint8Array;

export class SqliteFormatError extends Error {
  override readonly name = 'SqliteFormatError';
}

const HEADER = 'SQLite format 3\u0000';
/** SQLite's own limit is 20 (BTCURSOR_MAX_DEPTH); deeper is a corrupt or hostile file. */
const MAX_DEPTH = 40;
const CACHE_PAGES = 256;
/** One cell's payload at most: MLflow's values are short; a larger claim is a damaged length. */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;

interface TableInfo {
  readonly rootPage: number;
  readonly columns: readonly string[];
  /** Column that aliases the rowid (`INTEGER PRIMARY KEY`), stored as NULL in records. */
  readonly rowidColumn: number;
}

// Every loop here is bounded by the file as it is, never by a count the file claims: the page
// count is the smaller of the header's and what the file (and its WAL) holds, each b-tree or
// overflow page is visited once per scan (a cycle is an error, not a hang), cells must lie in
// their page without overlapping, and a payload can be no larger than the pages left to hold it.

export class SqliteFile {
  private readonly fd: number;
  readonly pageSize: number;
  private readonly usable: number;
  /** Pages of the database: the header's count (when valid), the WAL's last commit, or the file size. */
  private pageCount: number;
  /** Pages the main file holds; a page past them exists only in the WAL. */
  private readonly filePages: number;
  private readonly decoder: TextDecoder;
  private readonly wal = new Map<number, { fd: number; offset: number }>();
  private walFd: number | undefined;
  private readonly cache = new Map<number, Uint8Array>();
  private tables: Map<string, TableInfo> | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      const head = this.readAt(this.fd, 0, 100);
      if (head.length < 100 || new TextDecoder('latin1').decode(head.subarray(0, 16)) !== HEADER) {
        throw new SqliteFormatError('not an SQLite 3 database (its first 16 bytes are not "SQLite format 3")');
      }
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const raw = view.getUint16(16);
      this.pageSize = raw === 1 ? 65536 : raw;
      if (this.pageSize < 512 || (this.pageSize & (this.pageSize - 1)) !== 0) throw new SqliteFormatError(`impossible page size ${raw}`);
      this.usable = this.pageSize - head[20]!;
      if (this.usable < 480) throw new SqliteFormatError(`impossible reserved space of ${head[20]} bytes a page`);
      this.filePages = Math.floor(fstatSync(this.fd).size / this.pageSize);
      // As SQLite does: the header's count holds only while the change counter matches "version valid for".
      const declared = view.getUint32(28);
      const valid = declared > 0 && view.getUint32(24) === view.getUint32(92);
      this.pageCount = valid ? Math.min(declared, this.filePages) : this.filePages;
      const encoding = view.getUint32(56);
      this.decoder = new TextDecoder(encoding === 2 ? 'utf-16le' : encoding === 3 ? 'utf-16be' : 'utf-8');
      this.loadWal();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  private readAt(fd: number, position: number, length: number): Uint8Array {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, read);
  }

  /** Maps each page to its latest committed frame in the WAL, checking salts and checksums. */
  private loadWal(): void {
    const walPath = `${this.path}-wal`;
    if (!existsSync(walPath)) return;
    const fd = openSync(walPath, 'r');
    let kept = false;
    try {
      const size = fstatSync(fd).size;
      const head = this.readAt(fd, 0, 32);
      if (head.length < 32) return;
      const view = new DataView(head.buffer, head.byteOffset, 32);
      const magic = view.getUint32(0);
      if ((magic & 0xfffffffe) !== 0x377f0682 || view.getUint32(8) !== this.pageSize) return;
      const bigEndian = (magic & 1) === 1;
      let [s0, s1] = walChecksum(head.subarray(0, 24), 0, 0, bigEndian);
      if (s0 !== view.getUint32(24) || s1 !== view.getUint32(28)) return;
      const salt1 = view.getUint32(16);
      const salt2 = view.getUint32(20);
      const pending = new Map<number, number>();
      let committedPages: number | undefined;
      for (let at = 32; at + 24 + this.pageSize <= size; at += 24 + this.pageSize) {
        const frame = this.readAt(fd, at, 24 + this.pageSize);
        const fv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
        if (fv.getUint32(8) !== salt1 || fv.getUint32(12) !== salt2) break;
        [s0, s1] = walChecksum(frame.subarray(0, 8), s0, s1, bigEndian);
        [s0, s1] = walChecksum(frame.subarray(24), s0, s1, bigEndian);
        if (s0 !== fv.getUint32(16) || s1 !== fv.getUint32(20)) break;
        pending.set(fv.getUint32(0), at + 24);
        if (fv.getUint32(4) !== 0) {
          // a commit frame: everything so far is committed, and the database now has this many pages
          for (const [page, offset] of pending) this.wal.set(page, { fd, offset });
          pending.clear();
          committedPages = fv.getUint32(4);
        }
      }
      if (committedPages !== undefined) this.pageCount = committedPages;
      kept = this.wal.size > 0;
      if (kept) this.walFd = fd;
    } finally {
      if (!kept) closeSync(fd);
    }
  }

  page(number: number): Uint8Array {
    const cached = this.cache.get(number);
    if (cached) return cached;
    if (!Number.isInteger(number) || number < 1 || number > this.pageCount) throw new SqliteFormatError(`page ${number} is outside the database (it has ${this.pageCount} pages): corrupt file`);
    const fromWal = this.wal.get(number);
    if (!fromWal && number > this.filePages) throw new SqliteFormatError(`page ${number} is past the end of the file (the file is truncated)`);
    const data = fromWal ? this.readAt(fromWal.fd, fromWal.offset, this.pageSize) : this.readAt(this.fd, (number - 1) * this.pageSize, this.pageSize);
    if (data.length < this.pageSize) throw new SqliteFormatError(`page ${number} is cut short (the file is truncated)`);
    if (this.cache.size >= CACHE_PAGES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(number, data);
    return data;
  }

  /** Every row of a rowid table, as column name → value. */
  *rows(table: string): Generator<Record<string, SqlValue>> {
    const info = this.schema().get(table.toLowerCase());
    if (!info) throw new SqliteFormatError(`no table "${table}"`);
    for (const { rowid, values } of this.scan(info.rootPage)) {
      // Column names come from the file: no prototype, so a column named "__proto__" is a column.
      const row: Record<string, SqlValue> = Object.create(null) as Record<string, SqlValue>;
      info.columns.forEach((column, i) => {
        row[column] = i === info.rowidColumn ? rowid : (values[i] ?? null);
      });
      yield row;
    }
  }

  hasTable(table: string): boolean {
    return this.schema().has(table.toLowerCase());
  }

  /**
   * Each row of a table that may be missing or damaged: a missing table is skipped, and a damaged
   * one ends its walk with a line in `problems` (the rest of the file still reads).
   */
  eachRowOfOptional(table: string, fn: (row: Record<string, SqlValue>) => void, problems: string[]): void {
    if (!this.hasTable(table)) return;
    try {
      for (const row of this.rows(table)) fn(row);
    } catch (error) {
      problems.push(`table ${table}: ${(error as Error).message}`);
    }
  }

  columns(table: string): readonly string[] {
    return this.schema().get(table.toLowerCase())?.columns ?? [];
  }

  private schema(): Map<string, TableInfo> {
    if (this.tables) return this.tables;
    const tables = new Map<string, TableInfo>();
    for (const { values } of this.scan(1)) {
      const [type, name, , rootPage, sql] = values;
      if (type !== 'table' || typeof name !== 'string' || typeof rootPage !== 'number' || !Number.isInteger(rootPage) || typeof sql !== 'string') continue;
      const parsed = parseCreateTable(sql);
      if (parsed.withoutRowid) continue; // index-organised: not read
      tables.set(name.toLowerCase(), { rootPage, columns: parsed.columns, rowidColumn: parsed.rowidColumn });
    }
    return (this.tables = tables);
  }

  /** Walks a table b-tree in rowid order. */
  private *scan(root: number): Generator<{ rowid: number; values: SqlValue[] }> {
    const stack: { page: number; depth: number }[] = [{ page: root, depth: 0 }];
    // b-tree and overflow pages alike: in a sound file no page is reached twice in one table.
    const seen = new Set<number>();
    while (stack.length > 0) {
      const { page: number, depth } = stack.pop()!;
      if (depth > MAX_DEPTH || seen.has(number)) throw new SqliteFormatError(`the b-tree at page ${root} loops or is too deep (corrupt file)`);
      seen.add(number);
      const page = this.page(number);
      const start = number === 1 ? 100 : 0;
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const type = page[start];
      if (type !== 0x05 && type !== 0x0d) throw new SqliteFormatError(`page ${number} is not a table b-tree page (type ${type})`);
      const headerEnd = start + (type === 0x05 ? 12 : 8);
      const cells = view.getUint16(start + 3);
      const contentStart = headerEnd + cells * 2;
      if (contentStart > this.usable) throw new SqliteFormatError(`page ${number} claims ${cells} cells, more than fit in it (corrupt file)`);
      const cellAt = (i: number, minBytes: number): number => {
        const offset = view.getUint16(headerEnd + i * 2);
        if (offset < contentStart || offset + minBytes > this.usable) throw new SqliteFormatError(`a cell pointer on page ${number} points outside its page (corrupt file)`);
        return offset;
      };
      if (type === 0x05) {
        const children: number[] = [];
        for (let i = 0; i < cells; i++) children.push(view.getUint32(cellAt(i, 4)));
        children.push(view.getUint32(start + 8));
        for (let i = children.length - 1; i >= 0; i--) stack.push({ page: children[i]!, depth: depth + 1 });
      } else {
        // Cells do not overlap, so their local bytes together fit in the page: pointers that all
        // name one big cell would otherwise decode it once per pointer.
        let localBytes = 0;
        for (let i = 0; i < cells; i++) {
          const cell = cellAt(i, 2);
          const [payloadSize, a] = varint(page, cell);
          const [rowid, at] = varint(page, a);
          const { data, local } = this.payload(page, at, payloadSize, seen);
          localBytes += at - cell + local;
          if (localBytes > this.usable - contentStart) throw new SqliteFormatError(`the cells of page ${number} overlap (corrupt file)`);
          yield { rowid: Number(rowid), values: this.record(data) };
        }
      }
    }
  }

  /** A cell's payload, following overflow pages (each at most once: `seen`) when it does not fit on its page. */
  private payload(page: Uint8Array, at: number, claimed: number | bigint, seen: Set<number>): { data: Uint8Array; local: number } {
    const u = this.usable;
    const x = u - 35;
    const size = Number(claimed);
    if (size <= x) {
      if (at + size > u) throw new SqliteFormatError('a cell runs past the end of its page (corrupt file)');
      return { data: page.subarray(at, at + size), local: size };
    }
    const m = Math.floor(((u - 12) * 32) / 255) - 23;
    const k = m + ((size - m) % (u - 4));
    const local = k <= x ? k : m;
    if (at + local + 4 > u) throw new SqliteFormatError('a cell runs past the end of its page (corrupt file)');
    // No more than the pages that exist could hold, and never more than MAX_RECORD_BYTES.
    const room = local + (this.filePages + this.wal.size) * (u - 4);
    if (size > MAX_RECORD_BYTES || size > room) {
      throw new SqliteFormatError(`a value claims ${size} bytes, ${size > room ? 'more than the whole file holds' : `more than the ${MAX_RECORD_BYTES / 1024 / 1024} MB read`} (corrupt file)`);
    }
    const out = new Uint8Array(size);
    out.set(page.subarray(at, at + local), 0);
    let filled = local;
    let next = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(at + local);
    while (filled < size) {
      if (next === 0) throw new SqliteFormatError('an overflow chain ends early (corrupt file)');
      if (seen.has(next)) throw new SqliteFormatError(`an overflow chain loops or shares page ${next} (corrupt file)`);
      seen.add(next);
      const overflow = this.page(next);
      const take = Math.min(u - 4, size - filled);
      out.set(overflow.subarray(4, 4 + take), filled);
      filled += take;
      next = new DataView(overflow.buffer, overflow.byteOffset, overflow.byteLength).getUint32(0);
    }
    return { data: out, local };
  }

  private record(data: Uint8Array): SqlValue[] {
    const [rawHeaderSize, first] = varint(data, 0);
    const headerSize = Number(rawHeaderSize);
    if (headerSize < first || headerSize > data.length) throw new SqliteFormatError('a record header runs past its payload (corrupt file)');
    const types: number[] = [];
    let at = first;
    while (at < headerSize) {
      const [type, next] = varint(data, at);
      types.push(Number(type));
      at = next;
    }
    at = headerSize;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const values: SqlValue[] = [];
    for (const type of types) {
      const size = type < 12 ? (FIXED_SIZES[type] ?? -1) : Math.floor((type - 12) / 2);
      if (size < 0) throw new SqliteFormatError(`reserved serial type ${type} (corrupt file)`);
      if (at + size > data.length) throw new SqliteFormatError('a value runs past its record (corrupt file)');
      switch (type) {
        case 0:
          values.push(null);
          break;
        case 1:
          values.push(view.getInt8(at));
          break;
        case 2:
          values.push(view.getInt16(at));
          break;
        case 3:
          values.push((view.getInt8(at) << 16) | view.getUint16(at + 1));
          break;
        case 4:
          values.push(view.getInt32(at));
          break;
        case 5:
          values.push(view.getInt16(at) * 2 ** 32 + view.getUint32(at + 2));
          break;
        case 6: {
          const big = view.getBigInt64(at);
          values.push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big);
          break;
        }
        case 7:
          values.push(view.getFloat64(at));
          break;
        case 8:
          values.push(0);
          break;
        case 9:
          values.push(1);
          break;
        default: {
          const bytes = data.subarray(at, at + size);
          values.push(type % 2 === 0 ? bytes.slice() : this.decoder.decode(bytes));
        }
      }
      at += size;
    }
    return values;
  }
}

/** Bytes of serial types 0–11 (10 and 11 are reserved: -1). */
const FIXED_SIZES = [0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1];

/** SQLite's varint: 1–9 bytes, big-endian, 7 bits a byte, the ninth byte whole. */
function varint(data: Uint8Array, at: number): [bigint | number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = data[at + i];
    if (byte === undefined) throw new SqliteFormatError('a varint runs past its page');
    if (i < 4) value = value * 128 + (byte & 0x7f);
    else return varintBig(data, at);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return varintBig(data, at);
}

function varintBig(data: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  for (let i = 0; i < 9; i++) {
    const byte = data[at + i];
    if (byte === undefined) throw new SqliteFormatError('a varint runs past its page');
    if (i === 8) return [(value << 8n) | BigInt(byte), at + 9];
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return [value, at + 9];
}

function walChecksum(data: Uint8Array, s0: number, s1: number, bigEndian: boolean): [number, number] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i + 8 <= data.length; i += 8) {
    s0 = (s0 + view.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}
