import * as assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { EMPTY_VIEW, type ColumnSummary } from '../../src/data/datasetSource';
import { DataEngine, type QueryOptions, type QueryResult } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder, lit } from '../support/dataFixtures';

// A file's profile in two scans of the data for all its columns (not two or three per column), and
// the same numbers as DuckDB's own exact queries on the file: past a million rows too, where the
// most frequent values come from a sketch (approx_top_k) and are then counted exactly.

const signal = (): AbortSignal => new AbortController().signal;

/** The real engine, counting the queries that read the file. */
class CountingEngine extends DataEngine {
  scans = 0;
  /** In order: 'table' for a query that needed the file's table (built first if it was not), 'sample' for one of the sample spread over the file (spreadSample.ts: a small file of its own), 'csv' for one that read a CSV in place (the first page's and the sniff's left out). */
  reads: string[] = [];
  /** sniff_csv queries, and reads of a CSV (the first page's left out) that sniff it themselves rather than take the sniff's options (csvSniff.ts). */
  sniffs = 0;
  sniffingReads = 0;
  override query(sql: string, options: QueryOptions, s?: AbortSignal): Promise<QueryResult> {
    if (/read_parquet|FROM "t_/.test(sql)) this.scans++;
    if (/sniff_csv\(/.test(sql)) this.sniffs++;
    if (/read_csv\(/.test(sql) && !/auto_detect = false/.test(sql) && !/sample_size = /.test(sql)) this.sniffingReads++;
    if (options.prepare?.length) this.reads.push('table');
    else if ((options.params ?? []).some((p) => typeof p === 'string' && p.includes('ml-engineer-sample-'))) this.reads.push('sample');
    else if (/read_csv/.test(sql) && !/LIMIT (0|200)$/.test(sql)) this.reads.push('csv');
    return super.query(sql, options, s);
  }
}

describe('Dataset engine: a profile of every column in two scans', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: CountingEngine;
  const rows = 1_200_000;

  before(async () => {
    folder = new DataFolder();
    engine = new CountingEngine({ memoryLimitMb: 512, threads: 1 });
    await folder.duckdb(`COPY (SELECT i AS id, CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7919) % 1000 / 10.0 END AS x, ['cat', 'dog', 'bird', 'eel'][1 + (i % 10 = 0)::INT + (i % 3 = 0)::INT * 2] AS label,
      CAST(DATE '2020-01-01' + INTERVAL (i % 900) DAY AS DATE) AS day, md5(i::VARCHAR) AS h, i % 5 = 0 AS flag FROM range(${rows}) t(i)) TO ${lit(folder.path('p.parquet'))} (FORMAT parquet)`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('summarizes all six columns in two scans, with the numbers DuckDB gives exactly', async () => {
    const source = new FileDatasetSource(folder.path('p.parquet'), engine);
    const info = await source.info(EMPTY_VIEW, signal());
    engine.scans = 0;
    const summaries = new Map<string, ColumnSummary>();
    const get = (name: string): ColumnSummary => summaries.get(name) ?? assert.fail(name);
    for (const c of info.columns) summaries.set(c.name, await source.summarize(c.name, EMPTY_VIEW, signal()));
    assert.equal(engine.scans, 2, 'one scan for the statistics, one for the histograms and top-value counts');
    const file = lit(folder.path('p.parquet'));
    const label = get('label');
    const exactTop = await folder.duckdbRows(`SELECT label, count(*) FROM ${file} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`);
    assert.deepEqual((label.topValues ?? []).map((t) => [t.value, t.count]), exactTop);
    assert.deepEqual((get('flag').topValues ?? []).map((t) => [t.value, t.count]), await folder.duckdbRows(`SELECT flag, count(*) FROM ${file} GROUP BY 1 ORDER BY 2 DESC`));
    const x = get('x');
    const [exact] = await folder.duckdbRows(`SELECT count(*) - count(x), min(x), max(x), avg(x) FROM ${file}`);
    assert.deepEqual([x.nulls, x.min, x.max], [exact?.[0], exact?.[1], exact?.[2]]);
    assert.ok(Math.abs((x.mean ?? NaN) - Number(exact?.[3])) < 1e-9);
    assert.equal((x.histogram?.counts ?? []).reduce((a, b) => a + b, 0), rows - Number(exact?.[0]));
    // Past a million rows the quantiles are approximate (t-digest): within 1% of the range of DuckDB's exact ones. (DuckDB's
    // reservoir_quantile, 4x quicker, fails this: it keeps only the first rows it sees, p05 of 0..1.2M came out 1638.)
    const [exactQ] = await folder.duckdbRows(`SELECT quantile_cont(x, [0.05, 0.25, 0.5, 0.75, 0.95])::VARCHAR, quantile_cont(id, [0.05, 0.25, 0.5, 0.75, 0.95])::VARCHAR FROM ${file}`);
    for (const [summary, exactList, range] of [[x, exactQ?.[0], 100], [get('id'), exactQ?.[1], rows]] as const) {
      const wanted = (JSON.parse(String(exactList)) as number[]).map(Number);
      assert.ok(summary.quantilesApproximate, `${summary.column}: said to be approximate`);
      (summary.quantiles ?? []).forEach((q, k) => assert.ok(Math.abs(Number(q.value) - wanted[k]!) <= range * 0.01, `${summary.column} p${q.p}: ${String(q.value)} against ${wanted[k]}`));
    }
    const day = get('day');
    assert.deepEqual([day.min, day.max, day.histogram?.edges[0]], ['2020-01-01', '2022-06-18', '2020-01-01']);
    assert.equal((day.histogram?.counts ?? []).reduce((a, b) => a + b, 0), rows);
    const h = get('h');
    assert.ok(h.distinctApproximate && Math.abs(h.distinct - rows) / rows < 0.1);
    assert.ok((h.topValues ?? []).every((t) => t.count === 1));
    // Asked again: from the cache, no scan.
    await source.summarize('x', EMPTY_VIEW, signal());
    assert.equal(engine.scans, 2);
    await source.dispose();
  });

  /** Every column's summary, asked for in order as the bench does. */
  const profile = async (source: FileDatasetSource): Promise<ColumnSummary[]> => {
    const out: ColumnSummary[] = [];
    for (const c of (await source.info(EMPTY_VIEW, signal())).columns) out.push(await source.summarize(c.name, EMPTY_VIEW, signal()));
    return out;
  };

  it('a big CSV is counted and profiled in place, in one read of the file, with the figures its table gives', async () => {
    // 2.2M rows, ~130 MB: past QUICK_OPEN_BYTES and, by its first rows, past twice EXACT_ROWS. Beside nulls, the
    // columns where a shortcut could change a figure: all missing, one value, 20 values tied for the top, and a
    // value that is the most frequent by far but appears only in the last 200,000 rows.
    const csv = folder.path('big.csv');
    await folder.duckdb(`COPY (SELECT i AS id, CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7919) % 1000 / 10.0 END AS x, ['cat', 'dog', 'bird', 'eel'][1 + (i % 10 = 0)::INT + (i % 3 = 0)::INT * 2] AS label,
      CAST(DATE '2020-01-01' + INTERVAL (i % 900) DAY AS DATE) AS day, left(md5(i::VARCHAR), 10) AS h, NULL::INTEGER AS nothing, 7 AS seven, 'same' AS same,
      'v' || (i % 20) AS tie, CASE WHEN i < 2000000 THEN 'u' || i ELSE 'hot' END AS late FROM range(2200000) t(i)) TO ${lit(csv)} (HEADER)`);
    engine.reads = [];
    engine.sniffs = 0;
    engine.sniffingReads = 0;
    const source = new FileDatasetSource(csv, engine);
    const inPlace = await profile(source);
    // Sniffed once: the sample's reads and the one read of the file take its dialect and columns.
    assert.deepEqual([engine.sniffs, engine.sniffingReads], [1, 0], 'the big CSV sniffed once, by sniff_csv');
    // A sample spread over the file (its figures; whether h, whose sampled values never repeat, holds timestamps, on its
    // first rows; its histograms on edges from the figures), then one read for the count, the statistics and top-value
    // counts; then (not waited for) the table is built.
    assert.deepEqual(engine.reads, ['sample', 'sample', 'sample', 'csv', 'table'], 'neither the count nor the summaries waited for the table; the file read once');
    assert.equal(inPlace[0]?.count, 2_200_000);
    const built = async (): Promise<boolean> => (await engine.query("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 't\\_%' ESCAPE '\\'", {})).rows[0]?.[0] === 1;
    for (let i = 0; i < 600 && !(await built()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(await built(), 'the table is built after the profile');
    // The same figures as from the file's table (built first, as before): the exact ones and the approximate ones alike.
    const fromTable = new FileDatasetSource(csv, engine);
    await fromTable.buildTable(signal());
    engine.reads = [];
    assert.deepEqual(await profile(fromTable), inPlace);
    assert.ok(!engine.reads.includes('csv'), 'the table, once built, is read instead of the file');
    const [exact] = await folder.duckdbRows(`SELECT count(*) - count(x), min(x), max(x), count(DISTINCT label) FROM read_csv(${lit(csv)})`);
    const x = inPlace.find((s) => s.column === 'x');
    assert.deepEqual([x?.nulls, x?.min, x?.max, x?.quantilesApproximate], [exact?.[0], exact?.[1], exact?.[2], true]);
    // Its quantiles and histogram are the sample's, and the summary says how big the sample was: the nulls aside, every sampled row in a bin.
    assert.ok((x?.sampledRows ?? 0) > 100_000, `sampled rows: ${x?.sampledRows}`);
    const binned = (x?.histogram?.counts ?? []).reduce((a, b) => a + b, 0);
    assert.ok(binned < (x?.sampledRows ?? 0) && binned > (x?.sampledRows ?? 0) * 0.9, `${binned} of ${x?.sampledRows} sampled rows binned`);
    assert.equal(binned, x?.sampledValues, 'the bars add up to the column\'s own sampled values');
    const label = inPlace.find((s) => s.column === 'label');
    assert.deepEqual((label?.topValues ?? []).map((t) => [t.value, t.count]), await folder.duckdbRows(`SELECT label, count(*) FROM read_csv(${lit(csv)}) GROUP BY 1 ORDER BY 2 DESC, 1`));
    assert.equal(label?.topValuesApproximate, undefined, 'every value counted: the top values are certain');
    const of = (name: string): ColumnSummary => inPlace.find((s) => s.column === name) ?? assert.fail(name);
    assert.deepEqual([of('nothing').nulls, of('nothing').topValues ?? []], [2_200_000, []]);
    assert.deepEqual([of('seven').min, of('seven').max, of('seven').histogram, of('seven').sampledRows], [7, 7, { edges: [7, 7], counts: [2_200_000] }, undefined]);
    // One value: its quantiles are exact (the min), not marked approximate.
    assert.deepEqual([of('seven').quantiles?.map((q) => q.value), of('seven').quantilesApproximate], [[7, 7, 7, 7, 7], false]);
    assert.deepEqual(of('same').topValues, [{ value: 'same', count: 2_200_000 }]);
    // Twenty values tied: ten of them, each counted exactly, and said to be perhaps not the top ten.
    const tie = of('tie');
    assert.equal(tie.topValues?.length, 10);
    assert.ok(tie.topValues?.every((t) => t.count === 110_000), JSON.stringify(tie.topValues));
    assert.equal(tie.topValuesApproximate, true);
    // The late value is found and counted exactly (the sketch reads every row, not a sample of the first ones).
    assert.deepEqual(of('late').topValues?.[0], { value: 'hot', count: 200_000 });
    assert.equal(of('late').topValuesApproximate, true, 'the others listed are 1-row ties');
    await source.dispose();
    await fromTable.dispose();
  });

  it("a big gzip'd CSV is read once, into its table, not again for each question in place", async () => {
    // Hex digests compress little: 2.8M rows, ~72 MB gzip'd, past QUICK_OPEN_BYTES.
    const gz = folder.path('big.csv.gz');
    await folder.duckdb(`COPY (SELECT i AS id, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) || md5((i + 2)::VARCHAR) AS h FROM range(2800000) t(i)) TO ${lit(gz)} (HEADER, COMPRESSION gzip)`);
    assert.ok(statSync(gz).size > 64 * 1024 * 1024, `${statSync(gz).size} bytes`);
    engine.reads = [];
    const source = new FileDatasetSource(gz, engine);
    assert.equal((await source.info(EMPTY_VIEW, signal())).totalRows, 2_800_000);
    assert.ok(engine.reads.length > 0 && engine.reads.every((r) => r === 'table'), `counted on its table, the file not read again: ${engine.reads.join()}`);
    await source.dispose();
  });

  it('a big CSV whose first rows overstate its length still gets exact figures (from its table)', async () => {
    // 900k rows, ~75 MB: the first 200 rows are short (the guess: millions of rows), the rest long.
    const csv = folder.path('long.csv');
    await folder.duckdb(`COPY (SELECT i AS id, (i * 7919) % 100000 AS x, CASE WHEN i < 1000 THEN 'a' ELSE repeat('b', 70) END AS pad FROM range(900000) t(i)) TO ${lit(csv)} (HEADER)`);
    const source = new FileDatasetSource(csv, engine);
    const summaries = await profile(source);
    const x = summaries.find((s) => s.column === 'x');
    assert.equal(x?.count, 900_000);
    assert.equal(x?.quantilesApproximate, false);
    assert.equal(x?.distinctApproximate, false);
    const [exact] = await folder.duckdbRows(`SELECT count(DISTINCT x), quantile_cont(x, [0.05, 0.25, 0.5, 0.75, 0.95])::VARCHAR FROM read_csv(${lit(csv)})`);
    assert.equal(x?.distinct, exact?.[0]);
    assert.deepEqual((x?.quantiles ?? []).map((q) => q.value), (JSON.parse(String(exact?.[1])) as number[]).map(Number));
    await source.dispose();
  });
});
