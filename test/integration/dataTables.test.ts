import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { isAbortError } from '../../src/common/errors';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { tablePrep } from '../../src/data/engine/fileRelation';
import { DataFolder, lit } from '../support/dataFixtures';

// The engine's tables live as long as a source uses them: the last source of a CSV to close drops
// its table (and the memory it held); an Arrow import (JavaScript appending rows in the child) can
// be cancelled while it runs, without the child being killed. A real engine, real files.

const signal = (): AbortSignal => new AbortController().signal;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Dataset engine: table lifetime and cancelling an Arrow import', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 1, cancelGraceMs: 60_000 });
    await folder.duckdb(`COPY (SELECT i AS id, md5(i::VARCHAR) AS h FROM range(300000) t(i)) TO ${lit(folder.path('t.csv'))} (HEADER)`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  const tables = async (): Promise<string[]> => (await engine.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 't\\_%' ESCAPE '\\' ORDER BY 1", {})).rows.map((r) => String(r[0]));
  const tableBytes = async (): Promise<number> => Number((await engine.query("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'", {})).rows[0]?.[0]);
  const until = async (check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 100 && !(await check()); i++) await tick(50);
  };

  it("a CSV's table is dropped when its last source closes, not before", async () => {
    const before = await tables();
    const one = new FileDatasetSource(folder.path('t.csv'), engine);
    const two = new FileDatasetSource(folder.path('t.csv'), engine);
    assert.equal((await one.info(EMPTY_VIEW, signal())).totalRows, 300_000);
    assert.equal((await two.info(EMPTY_VIEW, signal())).totalRows, 300_000);
    const built = await tables();
    assert.equal(built.length, before.length + 1, 'one table for both sources');
    const held = await tableBytes();
    assert.ok(held > 5_000_000, `the table holds memory (${held} bytes)`);
    await one.dispose();
    await tick(200);
    assert.deepEqual(await tables(), built, 'still used by the other source');
    await two.dispose();
    await until(async () => (await tables()).length === before.length);
    assert.deepEqual(await tables(), before);
    assert.ok((await tableBytes()) < held / 4, 'its memory is given back');
    // A source opened again builds it again.
    const three = new FileDatasetSource(folder.path('t.csv'), engine);
    assert.equal((await three.info({ filters: [{ column: 'id', op: 'range', min: 299_990 }], sort: [] }, signal())).viewRows, 10);
    await three.dispose();
  });

  it('deep pages of a sorted view come from the view kept sorted once, and it goes when the source closes', async () => {
    const sortedTables = async (): Promise<string[]> => (await engine.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 's\\_%' ESCAPE '\\'", {})).rows.map((r) => String(r[0]));
    const source = new FileDatasetSource(folder.path('t.csv'), engine);
    const view = { filters: [{ column: 'id', op: 'range' as const, min: 1000 }], sort: [{ column: 'h', descending: true }] };
    const expected = (offset: number) => folder.duckdbRows(`SELECT id, h FROM read_csv(${lit(folder.path('t.csv'))}) WHERE id >= 1000 ORDER BY h DESC, id LIMIT 50 OFFSET ${offset}`);
    assert.deepEqual((await source.rows(view, 0, 50, signal())).rows, await expected(0), 'the first page: a top-N sort');
    assert.deepEqual(await sortedTables(), []);
    assert.deepEqual((await source.rows(view, 150_000, 50, signal())).rows, await expected(150_000));
    const kept = await sortedTables();
    assert.equal(kept.length, 1, 'the sorted view is kept');
    const started = Date.now();
    assert.deepEqual((await source.rows(view, 298_900, 50, signal())).rows, await expected(298_900));
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(await sortedTables(), kept, 'and read again, not sorted again');
    await source.dispose();
    await until(async () => (await sortedTables()).length === 0);
    assert.deepEqual(await sortedTables(), []);
  });

  it('a big CSV opens on a quick sniff of its first rows; the table\'s own types replace them once built', async () => {
    // 70 MB: past QUICK_OPEN_BYTES. x is whole in the first 3000 rows, then has decimals: a 2048-row
    // sample says BIGINT, DuckDB's full sniff (20 480 rows) DOUBLE.
    const big = folder.path('quick.csv');
    await folder.duckdb(`COPY (SELECT i AS id, CASE WHEN i < 3000 THEN (i % 50)::VARCHAR ELSE (i / 4)::VARCHAR END AS x, repeat('abcdefgh', 6) || i AS pad FROM range(1100000) t(i)) TO ${lit(big)} (HEADER)`);
    const source = new FileDatasetSource(big, engine);
    const page = await source.rows(EMPTY_VIEW, 0, 3, signal());
    assert.deepEqual(page.rows.map((r) => r.slice(0, 2)), [[0, 0], [1, 1], [2, 2]]);
    const quick = await source.quickInfo(EMPTY_VIEW, signal());
    assert.equal(quick?.columns.find((c) => c.name === 'x')?.type, 'BIGINT', 'the quick look saw whole numbers');
    const info = await source.info(EMPTY_VIEW, signal());
    assert.equal(info.totalRows, 1_100_000);
    assert.equal(info.columns.find((c) => c.name === 'x')?.type, 'DOUBLE', "the table's type replaced it");
    assert.deepEqual((await source.rows({ filters: [], sort: [{ column: 'x', descending: true }] }, 0, 1, signal())).rows[0]?.slice(0, 2), [1_099_999, 274_999.75]);
    await source.dispose();
  });

  it('an Arrow import is cancelled while it runs: the child answers at once and is not killed', async () => {
    // Apache Arrow's own writer, one record batch of 1.5M rows (a batch is where a reader blocks longest).
    // A text column: numbers are copied buffer to buffer, too quick to be caught; text goes value by value.
    const n = 1_500_000;
    const table = tableFromArrays({ id: Int32Array.from({ length: n }, (_, i) => i), x: Float64Array.from({ length: n }, (_, i) => i / 3), s: Array.from({ length: n }, (_, i) => `row ${i}`) });
    writeFileSync(folder.path('big.arrow'), tableToIPC(table, 'file'));
    const prep = tablePrep('arrow', folder.path('big.arrow'), 'v-cancel', {});
    const controller = new AbortController();
    const importing = engine.query(`SELECT count(*) FROM "${prep.table}"`, { prepare: [prep] }, controller.signal);
    await tick(400);
    controller.abort();
    await assert.rejects(importing, (e: Error) => isAbortError(e));
    const started = Date.now();
    assert.deepEqual((await engine.query('SELECT 7', {})).rows, [[7]]);
    const waited = Date.now() - started;
    assert.ok(waited < 1000, `the child answered ${waited} ms after the cancel`);
    // The stopped import left no table; the next query imports it whole.
    assert.ok(!(await tables()).includes(prep.table));
    assert.deepEqual((await engine.query(`SELECT count(*), max(id) FROM "${prep.table}"`, { prepare: [prep] })).rows, [[n, n - 1]]);
  });
});
