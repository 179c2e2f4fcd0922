import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { MlflowSqliteStore } from '../../src/tracking/mlflowSqlite';
import { SqliteFile, SqliteFormatError } from '../../src/tracking/sqlite/sqliteFile';
import type { Tick } from './boundedWorker';
import { record, SqliteBuilder, tableDatabase, varint } from './sqliteBuilder';

// The SQLite reader's cases for test/unit/trackingFuzz.test.ts, run in a bounded worker
// (test/support/boundedWorker.ts): crafted attacks, each with the clear error it must end in, and
// mutations of real mlflow.db files (test/fixtures/tracking), which must read or fail cleanly.

const fixtures = join(__dirname, '..', 'fixtures', 'tracking');

/** A message a person can act on: not a JavaScript internal leaking out of a reader. */
export function assertPlainMessage(message: string): void {
  assert.doesNotMatch(message, /Cannot read propert|is not a function|is not iterable|undefined|Maximum call stack|Offset is outside|out of range|Invalid array length|NaN/, message);
}

/** Reads every row of every table the way a run view would; returns the rows read. */
function readAll(path: string): number {
  const db = new SqliteFile(path);
  try {
    let rows = 0;
    for (const table of ['t', 'u', 'experiments', 'runs', 'params', 'tags', 'metrics', 'latest_metrics']) {
      if (!db.hasTable(table)) continue;
      for (const row of db.rows(table)) if (row) rows++;
    }
    return rows;
  } finally {
    db.close();
  }
}

function expectError(path: string, pattern: RegExp): void {
  let error: unknown;
  try {
    readAll(path);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof SqliteFormatError, `expected a SqliteFormatError matching ${pattern}, got ${error instanceof Error ? `${error.name}: ${error.message}` : 'no error'}`);
  assert.match(error.message, pattern);
  assertPlainMessage(error.message);
}

/** Each attack writes a file to `path` and checks how the reader meets it. */
const ATTACKS: Record<string, (path: string) => void> = {
  'the issue\'s file: a header claiming 4 billion pages and a 1 GB value whose overflow chain points at itself': (path) => {
    const b = new SqliteBuilder(4096);
    b.allocate();
    const root = b.allocate();
    b.leaf(1, [b.cell(1, record(['table', 't', 't', root, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)']))]);
    const loop = b.allocate();
    b.overflow(loop, loop, new Uint8Array(4092).fill(0x61));
    b.leaf(root, [{ rowid: 1, payload: Uint8Array.from([...record([null, 'a'.repeat(5000)])]), claimedSize: 1 << 30, overflowPage: loop }]);
    for (let i = 0; i < 38; i++) b.allocate(); // 172 KB in all
    writeFileSync(path, b.build({ pageCount: 0xffffffff }));
    expectError(path, /a value claims 1073741824 bytes, more than the whole file holds/);
  },
  'an overflow chain that loops, within what the file could hold': (path) => {
    const b = new SqliteBuilder(1024);
    b.allocate();
    const root = b.allocate();
    b.leaf(1, [b.cell(1, record(['table', 't', 't', root, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)']))]);
    const [p, q] = [b.allocate(), b.allocate()];
    b.overflow(p, q, new Uint8Array(1020));
    b.overflow(q, p, new Uint8Array(1020));
    for (let i = 0; i < 40; i++) b.allocate();
    b.leaf(root, [{ rowid: 1, payload: record([null, 'b'.repeat(30_000)]), overflowPage: p }]);
    writeFileSync(path, b.build());
    expectError(path, /overflow chain loops or shares page/);
  },
  'every cell pointer of a page naming one cell with a 200 KB overflow chain': (path) => {
    const { builder: b, leaves } = tableDatabase({ rows: 1, big: 'c'.repeat(200_000), pageSize: 65536 });
    const page = b.pages[leaves[0]! - 1]!;
    const view = new DataView(page.buffer);
    const pointer = view.getUint16(8);
    // the same cell, ~16,000 times: each would copy the chain again (3 GB)
    const count = Math.floor((pointer - 8) / 2);
    view.setUint16(3, count);
    for (let i = 0; i < count; i++) view.setUint16(8 + i * 2, pointer);
    writeFileSync(path, b.build());
    expectError(path, /overflow chain loops or shares page|cells of page \d+ overlap/);
  },
  'cell pointers that all name one big local cell': (path) => {
    const { builder: b, leaves } = tableDatabase({ rows: 1, big: 'd'.repeat(900), pageSize: 1024 });
    const page = b.pages[leaves[0]! - 1]!;
    const view = new DataView(page.buffer);
    const pointer = view.getUint16(8);
    const count = Math.floor((pointer - 8) / 2);
    view.setUint16(3, count);
    for (let i = 0; i < count; i++) view.setUint16(8 + i * 2, pointer);
    writeFileSync(path, b.build());
    expectError(path, /cells of page \d+ overlap/);
  },
  'an interior page that lists itself': (path) => {
    const { builder: b, root } = tableDatabase({ rows: 200 });
    b.interior(root, [{ page: root, key: 5 }], root);
    writeFileSync(path, b.build());
    expectError(path, /loops or is too deep/);
  },
  'a b-tree a thousand interior pages deep': (path) => {
    const b = new SqliteBuilder(1024);
    b.allocate();
    const pages = Array.from({ length: 1000 }, () => b.allocate());
    b.leaf(1, [b.cell(1, record(['table', 't', 't', pages[0]!, 'CREATE TABLE t (a)']))]);
    pages.forEach((p, i) => (i + 1 < pages.length ? b.interior(p, [], pages[i + 1]!) : b.leaf(p, [])));
    writeFileSync(path, b.build());
    expectError(path, /loops or is too deep/);
  },
  'a page that claims 65535 cells': (path) => {
    const { builder: b, leaves } = tableDatabase({ rows: 3 });
    new DataView(b.pages[leaves[0]! - 1]!.buffer).setUint16(3, 65535);
    writeFileSync(path, b.build());
    expectError(path, /claims 65535 cells, more than fit/);
  },
  'a cell pointer past the end of its page': (path) => {
    const { builder: b, leaves } = tableDatabase({ rows: 3 });
    new DataView(b.pages[leaves[0]! - 1]!.buffer).setUint16(8, 1023);
    writeFileSync(path, b.build());
    expectError(path, /points outside its page|runs past the end of its page|varint runs past/);
  },
  'a record whose header claims more bytes than its payload': (path) => {
    const { builder: b, leaves } = tableDatabase({ rows: 1 });
    const page = b.pages[leaves[0]! - 1]!;
    const cell = new DataView(page.buffer).getUint16(8);
    page[cell + 2] = 0x7f; // header size (after the payload-size and rowid varints)
    writeFileSync(path, b.build());
    expectError(path, /record header runs past its payload/);
  },
  'a text value longer than its record': (path) => {
    const b = new SqliteBuilder(1024);
    b.allocate();
    const root = b.allocate();
    b.leaf(1, [b.cell(1, record(['table', 't', 't', root, 'CREATE TABLE t (a TEXT)']))]);
    b.leaf(root, [{ rowid: 1, payload: Uint8Array.from([2, ...varint(13 + 2 * 500), 0x41, 0x42]) }]);
    writeFileSync(path, b.build());
    expectError(path, /value runs past its record/);
  },
  'a reserved serial type': (path) => {
    const b = new SqliteBuilder(1024);
    b.allocate();
    const root = b.allocate();
    b.leaf(1, [b.cell(1, record(['table', 't', 't', root, 'CREATE TABLE t (a)']))]);
    b.leaf(root, [{ rowid: 1, payload: Uint8Array.from([2, 10]) }]);
    writeFileSync(path, b.build());
    expectError(path, /reserved serial type 10/);
  },
  'a header page count far past the file, trusted by its change counter': (path) => {
    const { builder: b } = tableDatabase({ rows: 50 });
    const data = b.build({ pageCount: 1_000_000 });
    writeFileSync(path, data);
    assert.equal(readAll(path), 50, 'the file as it is reads whole; the claim bounds nothing');
  },
  'a root page past the end of the file': (path) => {
    const b = new SqliteBuilder(1024);
    b.allocate();
    b.leaf(1, [b.cell(1, record(['table', 't', 't', 4_000_000_000, 'CREATE TABLE t (a)']))]);
    writeFileSync(path, b.build({ pageCount: 0xffffffff }));
    expectError(path, /page 4000000000 is outside the database \(it has 1 pages\)/);
  },
  'a truncated file: a page cut short': (path) => {
    const { builder: b } = tableDatabase({ rows: 200 });
    writeFileSync(path, b.build().subarray(0, 1024 * 3 + 100));
    expectError(path, /outside the database|cut short|truncated/);
  },
  'a reserved-space byte that leaves no usable page': (path) => {
    const b = new SqliteBuilder(512);
    b.allocate();
    const data = b.build();
    data[20] = 255;
    writeFileSync(path, data);
    assert.throws(() => new SqliteFile(path), /impossible reserved space of 255 bytes/);
  },
  'schema text with 300,000 spaces where the old regexes backtracked (seconds before, milliseconds now)': (path) => {
    const b = new SqliteBuilder(1024);
    b.allocate();
    const [t, u] = [b.allocate(), b.allocate()];
    const spaces = ' '.repeat(300_000);
    b.leaf(1, [b.cell(1, record(['table', 't', 't', t, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v A${spaces}x)`])), b.cell(2, record(['table', 'u', 'u', u, `CREATE TABLE u (a) WITHOUT ROWID${spaces}x`]))]);
    b.leaf(t, [b.cell(7, record([null, 'seven', 1.5]))]);
    b.leaf(u, []);
    writeFileSync(path, b.build());
    const started = performance.now();
    const db = new SqliteFile(path);
    try {
      assert.deepEqual(db.columns('t'), ['id', 'name', 'v']);
      assert.equal(db.hasTable('u'), false, 'WITHOUT ROWID tables are not read');
      assert.deepEqual({ ...[...db.rows('t')][0] }, { id: 7, name: 'seven', v: 1.5 });
    } finally {
      db.close();
    }
    assert.ok(performance.now() - started < 500, `the schema took ${Math.round(performance.now() - started)} ms`);
  },
};

export const SQLITE_ATTACKS = Object.keys(ATTACKS);

export function sqliteAttacks(_args: unknown, tick: Tick): void {
  const dir = mkdtempSync(join(tmpdir(), 'mle-sqlite-attack-'));
  try {
    for (const [name, attack] of Object.entries(ATTACKS)) {
      tick(name);
      attack(join(dir, `${SQLITE_ATTACKS.indexOf(name)}.db`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Values an attacker writes into a length, a count or a page number. */
const nasty = (page: number): fc.Arbitrary<number> => fc.oneof(fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff, page, page + 1), fc.nat(0xffffffff));

/**
 * A mutation of a database file: bytes written into page headers, cell pointers and cells (where
 * a bit flip does harm, not in the middle of a text value), whole pages swapped, the header's page
 * count and sizes changed, the file cut.
 */
function mutatedDatabase(base: Uint8Array, pageSize: number): fc.Arbitrary<Uint8Array> {
  const pages = Math.max(1, Math.floor(base.length / pageSize));
  const poke = fc.record({
    page: fc.integer({ min: 1, max: pages }),
    where: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: pageSize - 4 })),
    width: fc.constantFrom(1, 2, 4),
    value: fc.integer({ min: 1, max: pages + 2 }).chain(nasty),
  });
  return fc
    .record({
      pokes: fc.array(poke, { minLength: 1, maxLength: 6 }),
      header: fc.option(fc.record({ at: fc.constantFrom(16, 20, 24, 28, 32, 36, 56, 92), value: nasty(pages) }), { nil: undefined }),
      swap: fc.option(fc.tuple(fc.integer({ min: 1, max: pages }), fc.integer({ min: 1, max: pages })), { nil: undefined }),
      cut: fc.option(fc.nat(base.length), { nil: undefined }),
    })
    .map(({ pokes, header, swap, cut }) => {
      const out = Uint8Array.from(base);
      const view = new DataView(out.buffer);
      const write = (at: number, width: number, value: number): void => {
        if (at + width > out.length) return;
        if (width === 1) out[at] = value & 0xff;
        else if (width === 2) view.setUint16(at, value & 0xffff);
        else view.setUint32(at, value >>> 0);
      };
      for (const { page, where, width, value } of pokes) write((page - 1) * pageSize + (page === 1 && where < 24 ? 100 + where : where), width, value);
      if (header) write(header.at, header.at === 16 ? 2 : header.at === 20 ? 1 : 4, header.value);
      if (swap) {
        const [a, b] = swap.map((p) => out.slice((p - 1) * pageSize, p * pageSize));
        out.set(b!, (swap[0] - 1) * pageSize);
        out.set(a!, (swap[1] - 1) * pageSize);
      }
      return cut === undefined ? out : out.subarray(0, cut);
    });
}

/** Loads a mutated mlflow.db (and its WAL) as the Experiments view does; every outcome must be a result or a clear problem. */
export async function sqliteMutations(args: { runs: number; seed?: number }, tick: Tick): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-sqlite-fuzz-'));
  const plain = readFileSync(join(fixtures, 'mlflow.db'));
  const walMain = readFileSync(join(fixtures, 'mlflow-wal.db'));
  const wal = readFileSync(join(fixtures, 'mlflow-wal.db-wal'));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutatedDatabase(plain, 1024).map((db) => ({ db, wal: undefined as Uint8Array | undefined })),
          // The WAL: frames are 24 + 1024 bytes after a 32-byte header; checksums catch most pokes, so some land past them.
          mutatedDatabase(wal.subarray(32), 1048).map((frames) => ({ db: walMain, wal: Uint8Array.from([...wal.subarray(0, 32), ...frames]) })),
        ),
        async ({ db, wal: walBytes }) => {
          const path = join(dir, `${n}.db`);
          tick(`mutation ${n++}${args.seed === undefined ? '' : ` (seed ${args.seed})`}`);
          writeFileSync(path, db);
          if (walBytes) writeFileSync(`${path}-wal`, walBytes);
          const store = new MlflowSqliteStore(path);
          const snap = await store.load();
          snap.problems.forEach(assertPlainMessage);
          for (const run of snap.experiments.flatMap((e) => e.runs)) {
            assert.equal(typeof run.status, 'string');
            for (const value of Object.values(run.params)) assert.equal(typeof value, 'string');
            const key = run.metrics[0]?.key;
            if (key === undefined) continue;
            try {
              const points = await store.history(run, key);
              assert.ok(points.length <= 1000);
            } catch (error) {
              assert.ok(error instanceof SqliteFormatError, `history threw ${(error as Error).name}: ${(error as Error).message}`);
              assertPlainMessage(error.message);
            }
          }
          rmSync(path, { force: true });
          rmSync(`${path}-wal`, { force: true });
        },
      ),
      { numRuns: args.runs, ...(args.seed === undefined ? {} : { seed: args.seed }) },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
