import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

// A read-only SQLite file reader in TypeScript (https://www.sqlite.org/fileformat2.html): pages are
// read on demand through a small cache, so a multi-gigabyte mlflow.db is never loaded whole, and
// there is no native module to build per platform. Committed frames of a `-wal` file are applied
// (MLflow's server runs SQLite in WAL mode). It scans rowid tables; that is all a run view needs.

export type SqlValue = null | number | bigint | string | Uint8Array;

export class SqliteFormatError extends Error {
  override readonly name = 'SqliteFormatError';
}

const HEADER = 'SQLite format 3\u0000';
const MAX_DEPTH = 40;
const CACHE_PAGES = 256;

interface TableInfo {
  readonly rootPage: number;
  readonly columns: readonly string[];
  /** Column that aliases the rowid (`INTEGER PRIMARY KEY`), stored as NULL in records. */
  readonly rowidColumn: number;
}

export class SqliteFile {
  private readonly fd: number;
  readonly pageSize: number;
  private readonly usable: number;
  private readonly pageCount: number;
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
      const fileSize = fstatSync(this.fd).size;
      const declared = view.getUint32(28);
      this.pageCount = declared > 0 ? declared : Math.floor(fileSize / this.pageSize);
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
    const size = fstatSync(fd).size;
    const head = this.readAt(fd, 0, 32);
    if (head.length < 32) return closeSync(fd);
    const view = new DataView(head.buffer, head.byteOffset, 32);
    const magic = view.getUint32(0);
    if ((magic & 0xfffffffe) !== 0x377f0682 || view.getUint32(8) !== this.pageSize) return closeSync(fd);
    const bigEndian = (magic & 1) === 1;
    let [s0, s1] = walChecksum(head.subarray(0, 24), 0, 0, bigEndian);
    if (s0 !== view.getUint32(24) || s1 !== view.getUint32(28)) return closeSync(fd);
    const salt1 = view.getUint32(16);
    const salt2 = view.getUint32(20);
    const pending = new Map<number, number>();
    for (let at = 32; at + 24 + this.pageSize <= size; at += 24 + this.pageSize) {
      const frame = this.readAt(fd, at, 24 + this.pageSize);
      const fv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      if (fv.getUint32(8) !== salt1 || fv.getUint32(12) !== salt2) break;
      [s0, s1] = walChecksum(frame.subarray(0, 8), s0, s1, bigEndian);
      [s0, s1] = walChecksum(frame.subarray(24), s0, s1, bigEndian);
      if (s0 !== fv.getUint32(16) || s1 !== fv.getUint32(20)) break;
      pending.set(fv.getUint32(0), at + 24);
      if (fv.getUint32(4) !== 0) {
        // a commit frame: everything so far is committed
        for (const [page, offset] of pending) this.wal.set(page, { fd, offset });
        pending.clear();
      }
    }
    this.walFd = fd;
  }

  page(number: number): Uint8Array {
    const cached = this.cache.get(number);
    if (cached) return cached;
    if (number < 1 || (number > this.pageCount && !this.wal.has(number))) throw new SqliteFormatError(`page ${number} is outside the file`);
    const fromWal = this.wal.get(number);
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
      const row: Record<string, SqlValue> = {};
      info.columns.forEach((column, i) => {
        row[column] = i === info.rowidColumn ? rowid : (values[i] ?? null);
      });
      yield row;
    }
  }

  hasTable(table: string): boolean {
    return this.schema().has(table.toLowerCase());
  }

  columns(table: string): readonly string[] {
    return this.schema().get(table.toLowerCase())?.columns ?? [];
  }

  private schema(): Map<string, TableInfo> {
    if (this.tables) return this.tables;
    const tables = new Map<string, TableInfo>();
    for (const { values } of this.scan(1)) {
      const [type, name, , rootPage, sql] = values;
      if (type !== 'table' || typeof name !== 'string' || typeof rootPage !== 'number' || typeof sql !== 'string') continue;
      if (/\)\s*WITHOUT\s+ROWID\s*;?\s*$/i.test(sql)) continue; // index-organised: not read
      const parsed = parseCreateTable(sql);
      tables.set(name.toLowerCase(), { rootPage, ...parsed });
    }
    return (this.tables = tables);
  }

  /** Walks a table b-tree in rowid order. */
  private *scan(root: number): Generator<{ rowid: number; values: SqlValue[] }> {
    const stack: { page: number; depth: number }[] = [{ page: root, depth: 0 }];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const { page: number, depth } = stack.pop()!;
      if (depth > MAX_DEPTH || seen.has(number)) throw new SqliteFormatError(`the b-tree at page ${root} loops or is too deep (corrupt file)`);
      seen.add(number);
      const page = this.page(number);
      const start = number === 1 ? 100 : 0;
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const type = page[start];
      const cells = view.getUint16(start + 3);
      if (type === 0x05) {
        const children: number[] = [];
        for (let i = 0; i < cells; i++) children.push(view.getUint32(this.cellOffset(view, start + 12, i)));
        children.push(view.getUint32(start + 8));
        for (let i = children.length - 1; i >= 0; i--) stack.push({ page: children[i]!, depth: depth + 1 });
      } else if (type === 0x0d) {
        for (let i = 0; i < cells; i++) {
          let at = this.cellOffset(view, start + 8, i);
          const [payloadSize, a] = varint(page, at);
          const [rowid, b] = varint(page, a);
          at = b;
          yield { rowid: Number(rowid), values: this.record(this.payload(page, at, Number(payloadSize))) };
        }
      } else throw new SqliteFormatError(`page ${number} is not a table b-tree page (type ${type})`);
    }
  }

  private cellOffset(view: DataView, arrayStart: number, index: number): number {
    const offset = view.getUint16(arrayStart + index * 2);
    if (offset >= this.pageSize) throw new SqliteFormatError('a cell pointer points outside its page');
    return offset;
  }

  /** A cell's payload, following overflow pages when it does not fit on its page. */
  private payload(page: Uint8Array, at: number, size: number): Uint8Array {
    const u = this.usable;
    const x = u - 35;
    if (size <= x) return page.subarray(at, at + size);
    const m = Math.floor(((u - 12) * 32) / 255) - 23;
    const k = m + ((size - m) % (u - 4));
    const local = k <= x ? k : m;
    if (size > 1 << 30) throw new SqliteFormatError(`a value claims ${size} bytes`);
    const out = new Uint8Array(size);
    out.set(page.subarray(at, at + local), 0);
    let filled = local;
    let next = new DataView(page.buffer, page.byteOffset).getUint32(at + local);
    let hops = 0;
    while (filled < size) {
      if (next === 0 || ++hops > this.pageCount + this.wal.size) throw new SqliteFormatError('an overflow chain ends early or loops');
      const overflow = this.page(next);
      const take = Math.min(u - 4, size - filled);
      out.set(overflow.subarray(4, 4 + take), filled);
      filled += take;
      next = new DataView(overflow.buffer, overflow.byteOffset).getUint32(0);
    }
    return out;
  }

  private record(data: Uint8Array): SqlValue[] {
    const [headerSize, first] = varint(data, 0);
    const types: number[] = [];
    let at = first;
    while (at < Number(headerSize)) {
      const [type, next] = varint(data, at);
      types.push(Number(type));
      at = next;
    }
    at = Number(headerSize);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const values: SqlValue[] = [];
    for (const type of types) {
      if (at > data.length) throw new SqliteFormatError('a record runs past its payload');
      switch (type) {
        case 0:
          values.push(null);
          break;
        case 1:
          values.push(view.getInt8(at));
          at += 1;
          break;
        case 2:
          values.push(view.getInt16(at));
          at += 2;
          break;
        case 3:
          values.push((view.getInt8(at) << 16) | view.getUint16(at + 1));
          at += 3;
          break;
        case 4:
          values.push(view.getInt32(at));
          at += 4;
          break;
        case 5:
          values.push(view.getInt16(at) * 2 ** 32 + view.getUint32(at + 2));
          at += 6;
          break;
        case 6: {
          const big = view.getBigInt64(at);
          values.push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big);
          at += 8;
          break;
        }
        case 7:
          values.push(view.getFloat64(at));
          at += 8;
          break;
        case 8:
          values.push(0);
          break;
        case 9:
          values.push(1);
          break;
        default: {
          if (type < 12) throw new SqliteFormatError(`reserved serial type ${type}`);
          const length = (type - (type % 2 === 0 ? 12 : 13)) / 2;
          if (at + length > data.length) throw new SqliteFormatError('a value runs past its record');
          const bytes = data.subarray(at, at + length);
          values.push(type % 2 === 0 ? bytes.slice() : this.decoder.decode(bytes));
          at += length;
        }
      }
    }
    return values;
  }
}

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

/** Column names (in order) and the rowid alias from a CREATE TABLE statement. */
export function parseCreateTable(sql: string): { columns: string[]; rowidColumn: number } {
  const open = sql.indexOf('(');
  const close = sql.lastIndexOf(')');
  if (open < 0 || close < open) return { columns: [], rowidColumn: -1 };
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (const ch of sql.slice(open + 1, close)) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'" || ch === '`' || ch === '[') quote = ch === '[' ? ']' : ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  const columns: string[] = [];
  const types: string[] = [];
  let rowidColumn = -1;
  let tablePk: string[] | undefined;
  for (const part of parts) {
    const pk = /^(?:CONSTRAINT\s+\S+\s+)?PRIMARY\s+KEY\s*\(([^)]*)\)/i.exec(part);
    if (pk) {
      tablePk = pk[1]!.split(',').map((c) => unquote(c.trim().split(/\s+/)[0]!));
      continue;
    }
    if (/^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)\b/i.test(part)) continue;
    const match = /^("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\S+)\s*(.*)$/s.exec(part);
    if (!match) continue;
    const name = unquote(match[1]!);
    const rest = match[2]!;
    const type = /^([A-Za-z ]+?)(?:\(|\s+(?:NOT|NULL|PRIMARY|DEFAULT|UNIQUE|CHECK|REFERENCES|COLLATE|CONSTRAINT|GENERATED)\b|$)/i.exec(rest)?.[1]?.trim().toUpperCase() ?? '';
    if (type === 'INTEGER' && /\bPRIMARY\s+KEY\b/i.test(rest) && !/\bDESC\b/i.test(rest)) rowidColumn = columns.length;
    columns.push(name);
    types.push(type);
  }
  if (rowidColumn < 0 && tablePk?.length === 1) {
    const index = columns.findIndex((c) => c.toLowerCase() === tablePk[0]!.toLowerCase());
    if (index >= 0 && types[index] === 'INTEGER') rowidColumn = index;
  }
  return { columns, rowidColumn };
}

function unquote(name: string): string {
  if (/^".*"$/s.test(name)) return name.slice(1, -1).replace(/""/g, '"');
  if (/^(`.*`|\[.*\])$/s.test(name)) return name.slice(1, -1);
  return name;
}
