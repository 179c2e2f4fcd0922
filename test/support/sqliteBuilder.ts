// Writes SQLite files page by page (https://www.sqlite.org/fileformat2.html), for the damaged and
// hostile shapes real SQLite never writes: overflow chains that loop, cell pointers that overlap,
// b-trees that point back at themselves, headers that claim billions of pages. Its sound output is
// checked against real SQLite (PRAGMA integrity_check) in test/integration/mlflowSqlite.test.ts.

export type Value = null | number | string;

/** SQLite's varint: big-endian, 7 bits a byte with the high bit set on all but the last, 9 bytes at most. */
export function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v > 0x00ffffffffffffffn) {
    const out: number[] = [Number(v & 0xffn)];
    v >>= 8n;
    for (let i = 0; i < 8; i++) {
      out.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    return out;
  }
  const out = [Number(v & 0x7fn)];
  v >>= 7n;
  while (v > 0n) {
    out.unshift(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  return out;
}

/** A record: header (its size, then one serial type a value), then the values. */
export function record(values: readonly Value[]): Uint8Array {
  const types: number[][] = [];
  const bodies: Uint8Array[] = [];
  for (const value of values) {
    if (value === null) {
      types.push(varint(0));
      bodies.push(new Uint8Array(0));
    } else if (typeof value === 'number' && Number.isInteger(value)) {
      const body = new Uint8Array(8);
      new DataView(body.buffer).setBigInt64(0, BigInt(value));
      types.push(varint(6));
      bodies.push(body);
    } else if (typeof value === 'number') {
      const body = new Uint8Array(8);
      new DataView(body.buffer).setFloat64(0, value);
      types.push(varint(7));
      bodies.push(body);
    } else {
      const body = Buffer.from(value, 'utf8');
      types.push(varint(body.length * 2 + 13));
      bodies.push(body);
    }
  }
  let headerSize = 1 + types.reduce((n, t) => n + t.length, 0);
  if (headerSize > 127) headerSize += varint(headerSize).length - 1;
  return Buffer.concat([Uint8Array.from([...varint(headerSize), ...types.flat()]), ...bodies]);
}

export interface LeafCell {
  readonly rowid: number;
  readonly payload: Uint8Array;
  /** Claimed payload size, when it is to differ from the bytes given (an attack). */
  readonly claimedSize?: number | bigint;
  /** First overflow page, for a payload that does not fit. */
  readonly overflowPage?: number;
}

/** How many of a payload's bytes stay on a table leaf page, as SQLite computes it. */
export function localBytes(size: number, usable: number): number {
  const x = usable - 35;
  if (size <= x) return size;
  const m = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = m + ((size - m) % (usable - 4));
  return k <= x ? k : m;
}

export class SqliteBuilder {
  readonly pages: Uint8Array[] = [];

  constructor(
    readonly pageSize = 1024,
    readonly reserved = 0,
  ) {}

  get usable(): number {
    return this.pageSize - this.reserved;
  }

  /** A page number for a page to be filled later. */
  allocate(): number {
    this.pages.push(new Uint8Array(this.pageSize));
    return this.pages.length;
  }

  private cellPage(number: number, type: number, cells: readonly Uint8Array[], rightChild?: number, pointers?: readonly number[]): void {
    const page = this.pages[number - 1]!;
    const start = number === 1 ? 100 : 0;
    const header = type === 0x05 ? 12 : 8;
    const view = new DataView(page.buffer);
    let content = this.usable;
    const offsets: number[] = [];
    for (const cell of cells) {
      content -= cell.length;
      page.set(cell, content);
      offsets.push(content);
    }
    const shown = pointers ?? offsets;
    page[start] = type;
    view.setUint16(start + 3, pointers?.length ?? cells.length);
    view.setUint16(start + 5, content === 65536 ? 0 : content);
    if (rightChild !== undefined) view.setUint32(start + 8, rightChild);
    shown.forEach((offset, i) => view.setUint16(start + header + i * 2, offset));
  }

  /** A table leaf page; `pointers` (an attack) replaces the cell pointers it would write. */
  leaf(number: number, cells: readonly LeafCell[], pointers?: readonly number[]): void {
    const raw = cells.map((cell) => {
      const size = cell.claimedSize ?? cell.payload.length;
      const local = cell.overflowPage === undefined ? cell.payload : cell.payload.subarray(0, localBytes(Number(size), this.usable));
      const tail = cell.overflowPage === undefined ? [] : [...u32(cell.overflowPage)];
      return Buffer.concat([Uint8Array.from([...varint(size), ...varint(cell.rowid)]), local, Uint8Array.from(tail)]);
    });
    this.cellPage(number, 0x0d, raw, undefined, pointers);
  }

  /** A table interior page: each child holds rowids up to its key; `right` holds the rest. */
  interior(number: number, children: readonly { page: number; key: number }[], right: number): void {
    this.cellPage(number, 0x05, children.map((c) => Uint8Array.from([...u32(c.page), ...varint(c.key)])), right);
  }

  /** One overflow page: the next page (0 ends the chain) and up to usable - 4 bytes of payload. */
  overflow(number: number, next: number, data: Uint8Array): void {
    const page = this.pages[number - 1]!;
    page.set(u32(next), 0);
    page.set(data.subarray(0, this.usable - 4), 4);
  }

  /** A leaf cell for `payload`, writing its overflow chain on newly allocated pages when it does not fit. */
  cell(rowid: number, payload: Uint8Array): LeafCell {
    const local = localBytes(payload.length, this.usable);
    if (local === payload.length) return { rowid, payload };
    const chunk = this.usable - 4;
    const pages: number[] = [];
    for (let at = local; at < payload.length; at += chunk) pages.push(this.allocate());
    pages.forEach((page, i) => this.overflow(page, pages[i + 1] ?? 0, payload.subarray(local + i * chunk, local + (i + 1) * chunk)));
    return { rowid, payload, overflowPage: pages[0] };
  }

  /** The file: page 1's 100-byte header (page count as given, or the true one) and every page. */
  build(options: { pageCount?: number } = {}): Buffer {
    const first = this.pages[0]!;
    first.set(Buffer.from('SQLite format 3\u0000', 'latin1'), 0);
    const view = new DataView(first.buffer);
    view.setUint16(16, this.pageSize === 65536 ? 1 : this.pageSize);
    first[18] = 1; // legacy journal mode
    first[19] = 1;
    first[20] = this.reserved;
    first[21] = 64;
    first[22] = 32;
    first[23] = 32;
    view.setUint32(24, 1); // change counter
    view.setUint32(28, options.pageCount ?? this.pages.length);
    view.setUint32(40, 1); // schema cookie
    view.setUint32(44, 4); // schema format
    view.setUint32(56, 1); // UTF-8
    view.setUint32(92, 1); // version-valid-for = change counter: the page count is trusted
    view.setUint32(96, 3040001);
    return Buffer.concat(this.pages);
  }
}

function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/**
 * A database with one table `t` (id INTEGER PRIMARY KEY, name TEXT, v REAL) of `rows` rows, over
 * several leaf pages under one interior page when they do not fit on one, and `big` as the name of
 * row 1 (long enough to need overflow pages). Sound: real SQLite reads it.
 */
export function tableDatabase(options: { rows: number; big?: string; sql?: string; pageSize?: number }): { builder: SqliteBuilder; root: number; leaves: number[] } {
  const b = new SqliteBuilder(options.pageSize ?? 1024);
  b.allocate(); // page 1: the schema
  const root = b.allocate();
  const sql = options.sql ?? 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL)';
  b.leaf(1, [b.cell(1, record(['table', 't', 't', root, sql]))]);
  const cells = Array.from({ length: options.rows }, (_, i) => b.cell(i + 1, record([null, i === 0 && options.big ? options.big : `row ${i + 1}`, (i + 1) / 4])));
  // Pack cells into leaves of at most what fits (with room to spare).
  const leaves: { page: number; cells: LeafCell[] }[] = [];
  let room = 0;
  for (const cell of cells) {
    const size = localBytes(cell.payload.length, b.usable) + 9 + 9 + 4 + 2;
    if (leaves.length === 0 || room < size) {
      leaves.push({ page: 0, cells: [] });
      room = b.usable - 12;
    }
    leaves.at(-1)!.cells.push(cell);
    room -= size;
  }
  if (leaves.length === 1) {
    b.leaf(root, leaves[0]!.cells);
    return { builder: b, root, leaves: [root] };
  }
  for (const leaf of leaves) {
    leaf.page = b.allocate();
    b.leaf(leaf.page, leaf.cells);
  }
  b.interior(
    root,
    leaves.slice(0, -1).map((l) => ({ page: l.page, key: l.cells.at(-1)!.rowid })),
    leaves.at(-1)!.page,
  );
  return { builder: b, root, leaves: leaves.map((l) => l.page) };
}
