import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnSummary } from '../../src/data/datasetSource';
import { fileVersion, SummaryStore, type SummaryKey } from '../../src/data/summaryStore';

// The on-disk store of column summaries (src/data/summaryStore.ts) on real files in a temporary
// folder: a summary comes back as it was kept, only for the very version of the data file it was
// computed on, whatever the store file holds, and the folder stays within its bound.

/** A sampled big CSV's summary: every estimate flag the card reads. */
const SAMPLED: ColumnSummary = {
  column: 'x',
  kind: 'float',
  type: 'DOUBLE',
  count: 10_000_000,
  nulls: 3,
  distinct: 9_871_234,
  distinctApproximate: true,
  distinctError: 0.0078,
  min: -1.5,
  max: 1e9,
  mean: 0.5,
  std: 2,
  quantiles: [{ p: 0.5, value: 0.4 }],
  quantilesApproximate: true,
  histogram: { edges: [-1.5, 0, 1e9], counts: [10, 20], endsWidened: true },
  sampledRows: 200_000,
  sampledValues: 199_990,
};

describe('summary store (summaryStore.ts)', () => {
  let dir: string;
  let data: string;
  let storeDir: string;
  let n = 0;
  const key = async (over: Partial<SummaryKey> = {}): Promise<SummaryKey> => ({ path: data, version: (await fileVersion(data))!, filters: [], column: 'x', type: 'DOUBLE', textColumns: [], ...over });
  const storeFiles = (): string[] => (existsSync(storeDir) ? readdirSync(storeDir) : []).filter((f) => f.endsWith('.json'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'summary-store-'));
    data = join(dir, `data${n++}.csv`);
    writeFileSync(data, 'x\n1\n2\n');
    storeDir = join(dir, 'store');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back a summary as it was kept, estimate flags and all, to another store on the same folder', async () => {
    await new SummaryStore(storeDir).put(await key(), SAMPLED);
    const again = new SummaryStore(storeDir);
    assert.deepEqual(await again.get(await key()), SAMPLED);
    // Anything else that changes a summary is another entry: filters, type, columns read as text; another salt, another store.
    assert.equal(await again.get(await key({ filters: [{ column: 'x', op: 'isNull' }] })), undefined);
    assert.equal(await again.get(await key({ type: 'VARCHAR' })), undefined);
    assert.equal(await again.get(await key({ textColumns: ['y'] })), undefined);
    assert.equal(await again.get(await key({ column: 'y' })), undefined);
    assert.equal(await new SummaryStore(storeDir, { salt: 'next version' }).get(await key()), undefined);
  });

  it("keeps the file's info beside its summaries, for that version only; a bad info is a miss", async () => {
    const version = (await fileVersion(data))!;
    const info = { version, totalRows: 2, columns: [{ name: 'x', type: 'VARCHAR', kind: 'string' as const }], textColumns: ['x'], notes: ["x read as text: line 3 holds 'a', not a BIGINT."] };
    const store = new SummaryStore(storeDir);
    await Promise.all([store.putInfo(data, info), store.put(await key(), SAMPLED)]);
    await store.put(await key({ column: 'y' }), { ...SAMPLED, column: 'y' }); // a later write keeps the info
    const again = new SummaryStore(storeDir);
    assert.deepEqual(await again.getInfo(data), info);
    assert.deepEqual(await again.get(await key()), SAMPLED);
    // Another version's info is never written, and a file rewritten since misses.
    await store.putInfo(data, { ...info, version: 'other', totalRows: 9 });
    assert.equal((await again.getInfo(data))?.totalRows, 2);
    const { mtime } = statSync(data);
    utimesSync(data, mtime, new Date(mtime.getTime() + 5_000));
    assert.equal(await again.getInfo(data), undefined);
    // A hand-edited info (a count below zero) is a miss, the summaries beside it stay.
    const file = join(storeDir, storeFiles()[0]!);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { version: string; info: { totalRows: number } };
    stored.version = (await fileVersion(data))!;
    stored.info.totalRows = -1;
    writeFileSync(file, JSON.stringify(stored));
    assert.equal(await again.getInfo(data), undefined);
    assert.deepEqual(await again.get(await key()), SAMPLED);
  });

  it('a rewritten file misses: same size with a new mtime, and a new size with the same mtime', async () => {
    const store = new SummaryStore(storeDir);
    const old = await key();
    await store.put(old, SAMPLED);
    assert.ok(await store.get(old));
    const { mtime } = statSync(data);
    writeFileSync(data, 'x\n3\n4\n'); // same size
    utimesSync(data, mtime, new Date(mtime.getTime() + 5_000));
    assert.equal(await store.get(old), undefined, 'same size, new mtime');
    assert.equal(await store.get(await key()), undefined, 'nothing kept for the new version yet');
    await store.put(await key(), { ...SAMPLED, count: 2 });
    const second = await key();
    writeFileSync(data, 'x\n3\n4\n5\n');
    utimesSync(data, mtime, new Date(mtime.getTime() + 5_000)); // the mtime of the version just kept
    assert.notEqual((await key()).version, second.version);
    assert.equal(await store.get(second), undefined, 'new size, same mtime');
    assert.equal(await store.get(await key()), undefined);
  });

  it('keeps nothing JSON would give back otherwise: an infinite max, a NaN mean', async () => {
    const store = new SummaryStore(storeDir);
    await store.put(await key(), { ...SAMPLED, max: Number.POSITIVE_INFINITY });
    await store.put(await key({ column: 'y' }), { ...SAMPLED, column: 'y', mean: Number.NaN });
    assert.deepEqual(storeFiles(), []);
  });

  it('keeps nothing computed on a version the file no longer has, and nothing for a folder', async () => {
    const store = new SummaryStore(storeDir);
    const before = await key();
    writeFileSync(data, 'x\n1\n2\n3\n');
    await store.put(before, SAMPLED);
    assert.deepEqual(storeFiles(), []);
    assert.equal(await fileVersion(dir), undefined);
  });

  it('a corrupt, truncated, hostile or unreadable store file is a miss, never a throw, and is written again', async () => {
    const store = new SummaryStore(storeDir);
    const k = await key();
    await store.put(k, SAMPLED);
    const [name] = storeFiles();
    const file = join(storeDir, name!);
    const good = readFileSync(file, 'utf8');
    const entryKey = (JSON.parse(good) as { entries: { key: string }[] }).entries[0]!.key;
    const entry = (summary: unknown): string => JSON.stringify({ store: 1, version: k.version, entries: [{ key: entryKey, used: 1, summary }] });
    const bad = [
      good.slice(0, good.length / 2),
      '',
      'null',
      '[]',
      '{"store":1,"version":"x","entries":{}}',
      entry({ ...SAMPLED, count: 'many' }),
      entry({ ...SAMPLED, histogram: { edges: [{}], counts: [1] } }),
      entry({ ...SAMPLED, column: 'other' }),
      entry({ ...SAMPLED, kind: '<img src=x>' }),
      '{"__proto__":{"polluted":true},"store":1}',
      'x'.repeat(600 * 1024),
    ];
    for (const text of bad) {
      writeFileSync(file, text);
      assert.equal(await store.get(k), undefined, text.slice(0, 80));
      assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    }
    await store.put(k, SAMPLED);
    assert.deepEqual(await store.get(k), SAMPLED, 'written again after the bad file');
    // Not a regular file where the store file should be: a folder, a FIFO (would block a read that waits on it).
    rmSync(file);
    mkdirSync(file);
    assert.equal(await store.get(k), undefined);
    await store.put(k, SAMPLED);
    rmSync(file, { recursive: true });
    if (process.platform !== 'win32') {
      execFileSync('mkfifo', [file]);
      assert.equal(await store.get(k), undefined);
    }
  });

  it('stays within its bound: the least recently used files go, then the oldest entries of a file', async () => {
    const store = new SummaryStore(storeDir, { maxBytes: 2_000, maxFileBytes: 1_500 });
    const paths: string[] = [];
    for (let i = 0; i < 8; i++) {
      const path = join(dir, `f${i}.csv`);
      writeFileSync(path, `x\n${i}\n`);
      paths.push(path);
      await store.put({ ...(await key()), path, version: (await fileVersion(path))! }, SAMPLED);
      // The first file is read after each write: recently used, it stays.
      if (i > 0) assert.ok(await store.get({ ...(await key()), path: paths[0]!, version: (await fileVersion(paths[0]!))! }), `first file kept after ${i}`);
    }
    const total = storeFiles().reduce((sum, f) => sum + statSync(join(storeDir, f)).size, 0);
    assert.ok(total <= 2_000, `${total} bytes`);
    assert.ok(storeFiles().length < 8);
    const version = async (p: string): Promise<SummaryKey> => ({ ...(await key()), path: p, version: (await fileVersion(p))! });
    assert.ok(await store.get(await version(paths[7]!)), 'the newest kept');
    assert.equal(await store.get(await version(paths[1]!)), undefined, 'an old one gone');
    // One file's many entries: the newest kept, the file within its own bound.
    for (let c = 0; c < 30; c++) await store.put(await key({ column: `c${c}` }), { ...SAMPLED, column: `c${c}` });
    assert.ok(await store.get(await key({ column: 'c29' })));
    assert.equal(await store.get(await key({ column: 'c0' })), undefined);
    for (const f of storeFiles()) assert.ok(statSync(join(storeDir, f)).size <= 1_500);
  });

  it('writes of two sessions of one file at once leave a store file that reads back, with one session all its entries', async () => {
    const one = new SummaryStore(storeDir);
    const two = new SummaryStore(storeDir);
    const columns = Array.from({ length: 40 }, (_, i) => `c${i}`);
    await Promise.all(columns.flatMap((c) => [one.put(key0(c), { ...SAMPLED, column: c }), two.put(key0(c), { ...SAMPLED, column: c, count: 7 })]));
    assert.equal(storeFiles().length, 1);
    const file = JSON.parse(readFileSync(join(storeDir, storeFiles()[0]!), 'utf8')) as { entries: unknown[] };
    assert.ok(file.entries.length > 0);
    assert.ok(!readdirSync(storeDir).some((f) => f.endsWith('.tmp')), 'no temporary file left');
    let found = 0;
    for (const c of columns) {
      const got = await one.get(key0(c));
      if (got) {
        found++;
        assert.equal(got.column, c);
        assert.ok(got.count === 7 || got.count === SAMPLED.count);
      }
    }
    assert.ok(found > 0);
    // One session alone: every entry it was given is there, in fewer writes than entries.
    const alone = new SummaryStore(join(dir, 'alone'));
    await Promise.all(columns.map((c) => alone.put(key0(c), { ...SAMPLED, column: c })));
    for (const c of columns) assert.ok(await alone.get(key0(c)), c);

    function key0(column: string): SummaryKey {
      return { path: data, version: `${statSync(data).size}-${Math.trunc(statSync(data).mtimeMs)}`, filters: [], column, type: 'DOUBLE', textColumns: [] };
    }
  });
});
