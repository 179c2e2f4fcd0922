import * as assert from 'node:assert/strict';
import { readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EMPTY_VIEW, type ColumnSummary } from '../../src/data/datasetSource';
import { summaryLine } from '../../src/data/datasetText';
import { DataEngine, type QueryOptions, type QueryResult } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { SAMPLE_WINDOW_BYTES, SAMPLE_WINDOWS } from '../../src/data/engine/spreadSample';
import { DataFolder, lit } from '../support/dataFixtures';

// A big CSV's one-scan profile (columnSummary.ts ProfileSample): quantiles, histograms and top-value
// candidates from a sample spread over the file (said in the summary), the other figures and the
// candidates' counts counted in the one scan.
// Rows here are 64 bytes each (fixed width), so which rows the sample's windows hold is known.

const ROWS = 1_100_000;
const ROW_BYTES = 64;
const HEADER = 'id,x,pad,key\n';
const signal = (): AbortSignal => new AbortController().signal;

/** The real engine; says when a query reads the sample and can hold the next scan of the file until released. */
class WatchingEngine extends DataEngine {
  sampled: () => void = () => undefined;
  override query(sql: string, options: QueryOptions, s?: AbortSignal): Promise<QueryResult> {
    if ((options.params ?? []).some((p) => typeof p === 'string' && p.includes('ml-engineer-sample-'))) this.sampled();
    return super.query(sql, options, s);
  }
}

/** Row numbers halfway between two of the sample's windows: never in the sample. */
function unsampledRows(k: number, n: number): number[] {
  const step = (ROWS * ROW_BYTES - SAMPLE_WINDOW_BYTES) / (SAMPLE_WINDOWS - 1);
  const first = Math.floor((step * k + step / 2) / ROW_BYTES);
  return Array.from({ length: n }, (_, i) => first + i);
}

/** id (7 digits), x (4 characters: 1000-1999, or the outliers -999 and 9999), a 41-character pad of 4 values, a key unique to the row (8): 64 bytes a row. */
function rowsSql(low: readonly number[], high: readonly number[], shift = 0): string {
  return `SELECT 1000000 + i AS id, CASE WHEN i IN (${[-1, ...low].join(', ')}) THEN -999 WHEN i IN (${[-1, ...high].join(', ')}) THEN 9999 ELSE 1000 + ((i * 7919 + ${shift}) % 1000) END AS x,
    repeat('p', 40) || (i % 4)::VARCHAR AS pad, 'k' || lpad(i::VARCHAR, 7, '0') AS key FROM range(${ROWS}) t(i)`;
}

const sampleFolders = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('ml-engineer-sample-'));

describe('Dataset engine: a big CSV profiled in one scan, on a sample spread over the file', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: WatchingEngine;
  const low = unsampledRows(10, 5);
  const high = unsampledRows(40, 7);

  before(async () => {
    folder = new DataFolder();
    engine = new WatchingEngine({ memoryLimitMb: 512, threads: 1 });
    await folder.duckdb(`COPY (${rowsSql(low, high)}) TO ${lit(folder.path('wide.csv'))} (HEADER)`);
    const [bytes] = await folder.duckdbRows(`SELECT size FROM read_blob(${lit(folder.path('wide.csv'))})`);
    assert.equal(Number(bytes?.[0]), HEADER.length + ROWS * ROW_BYTES, 'fixed-width rows');
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  const profile = async (source: FileDatasetSource): Promise<Map<string, ColumnSummary>> => {
    const out = new Map<string, ColumnSummary>();
    for (const c of (await source.info(EMPTY_VIEW, signal())).columns) out.set(c.name, await source.summarize(c.name, EMPTY_VIEW, signal()));
    return out;
  };

  it('values past the sampled range: the end bins reach the exact min and max and say so; the bins are the sample\'s, as the whole file\'s', async () => {
    const source = new FileDatasetSource(folder.path('wide.csv'), engine);
    const all = await profile(source);
    const x = all.get('x') ?? assert.fail('x');
    const file = lit(folder.path('wide.csv'));
    assert.deepEqual([x.min, x.max, x.count], [-999, 9999, ROWS]);
    const h = x.histogram ?? assert.fail('no histogram');
    assert.equal(h.endsWidened, true);
    assert.deepEqual([h.edges[0], h.edges[h.edges.length - 1]], [-999, 9999]);
    // The sample's rows, all of them binned (x has no nulls): whole 64-byte lines of each window.
    const sampled = x.sampledRows ?? assert.fail('not said to be sampled');
    assert.ok(sampled <= (SAMPLE_WINDOWS * SAMPLE_WINDOW_BYTES) / ROW_BYTES && sampled >= SAMPLE_WINDOWS * (SAMPLE_WINDOW_BYTES / ROW_BYTES - 2), String(sampled));
    assert.equal(h.counts.reduce((a, b) => a + b, 0), sampled);
    // The sample saw 1000-1999: nice edges 50 apart inside; each bin's share of the sample within half a percent of its share of the file.
    const inner = h.edges.slice(1, -1).map(Number);
    assert.ok(inner.every((e, k) => k === 0 || e - (inner[k - 1] ?? 0) === 50), JSON.stringify(h.edges));
    const bounds = [-Infinity, ...inner, Infinity];
    const [shares] = await folder.duckdbRows(`SELECT ${h.counts.map((_, k) => `count(*) FILTER (WHERE x >= '${bounds[k]}'::DOUBLE AND x < '${bounds[k + 1]}'::DOUBLE)`).join(', ')} FROM read_csv(${file})`);
    h.counts.forEach((c, k) => assert.ok(Math.abs(c / sampled - Number(shares?.[k]) / ROWS) < 0.005, `bin ${k}: ${c} of ${sampled} sampled, ${String(shares?.[k])} of ${ROWS}`));
    // Quantiles from the sample: within 1% of the range of the exact ones.
    const [exact] = await folder.duckdbRows(`SELECT quantile_cont(x, [0.05, 0.25, 0.5, 0.75, 0.95])::VARCHAR FROM read_csv(${file})`);
    const wanted = (JSON.parse(String(exact?.[0])) as number[]).map(Number);
    assert.equal(x.quantilesApproximate, true);
    (x.quantiles ?? []).forEach((q, k) => assert.ok(Math.abs(Number(q.value) - wanted[k]!) <= 10, `p${q.p}: ${String(q.value)} against ${wanted[k]}`));
    // A text column's values: every one in the sample, counted exactly, so certain.
    const pad = (await source.summarize('pad', EMPTY_VIEW, signal())).topValues ?? [];
    assert.deepEqual(pad.map((t) => t.count), [275_000, 275_000, 275_000, 275_000]);
    assert.equal(all.get('pad')?.uniqueInSample, undefined);
    // A key no sampled row repeats: ID-like, said with the sample's size, and its top values not counted; distinct and min/max still over every row.
    const key = all.get('key') ?? assert.fail('key');
    assert.deepEqual([key.uniqueInSample, key.topValues, key.min, key.max, key.distinctApproximate], [sampled, [], 'k0000000', `k${ROWS - 1}`, true]);
    assert.equal(key.uniqueAs, 'identifier', 'short values that are no timestamps');
    assert.equal(x.sampledValues, sampled, 'x has no nulls: every sampled row is one of its values');
    // No repeat among the keys sampled by hash: all distinct (DuckDB's HyperLogLog said 976,261 of the 1.1M).
    assert.equal(key.distinct, ROWS);
    assert.ok(key.distinctError !== undefined && key.distinctError < 0.01, `error ${key.distinctError}`);
    // pad's sampled values repeat: counted exactly.
    assert.deepEqual([all.get('pad')?.distinct, all.get('pad')?.distinctApproximate], [4, false]);
    assert.match(summaryLine(key), new RegExp(`no value repeats in a sample of ${sampled} values \\(ID-like\\)`));
    await source.dispose();
  });

  it('a 99.9%-null number column: its quantiles counted exactly (the sample holds a few hundred of its values), its histogram said to be from those; long text and timestamps as text are not called ID-like', async () => {
    const path = folder.path('sparse.csv');
    // One row in a thousand has s; `note` is long text (67 characters), `at` timestamps as text (one value that is not keeps it VARCHAR).
    await folder.duckdb(`COPY (SELECT 1000000 + i AS id, CASE WHEN i % 1000 = 7 THEN (i // 1000) * 1.5 END AS s, repeat('w', 60) || lpad(i::VARCHAR, 7, '0') AS note,
      CASE WHEN i = 3 THEN 'n/a' ELSE strftime(TIMESTAMP '2020-01-01' + to_seconds(i), '%Y-%m-%d %H:%M:%S') END AS at FROM range(${ROWS}) t(i)) TO ${lit(path)} (HEADER)`);
    const source = new FileDatasetSource(path, engine);
    const all = await profile(source);
    const s = all.get('s') ?? assert.fail('s');
    assert.deepEqual([s.count, s.nulls], [ROWS, ROWS - ROWS / 1000]);
    const values = s.sampledValues ?? assert.fail('not said to be sampled');
    assert.ok(values > 0 && values < 1000 && values < (s.sampledRows ?? 0) / 100, `${values} sampled values of ${s.sampledRows} sampled rows`);
    // The bars add up to the column's sampled values, not the sample's rows.
    assert.equal(s.histogram?.counts.reduce((a, b) => a + b, 0), values);
    const [exact] = await folder.duckdbRows(`SELECT quantile_cont(s, [0.05, 0.25, 0.5, 0.75, 0.95])::VARCHAR FROM read_csv(${lit(path)})`);
    assert.equal(s.quantilesApproximate, false);
    assert.deepEqual((s.quantiles ?? []).map((q) => Number(q.value)), (JSON.parse(String(exact?.[0])) as number[]).map(Number));
    assert.doesNotMatch(summaryLine(s), /median ~|sample/);
    const note = all.get('note') ?? assert.fail('note');
    const at = all.get('at') ?? assert.fail('at');
    assert.deepEqual([note.uniqueAs, at.type, at.uniqueAs], ['long text', 'VARCHAR', 'timestamps']);
    assert.match(summaryLine(note), /no value repeats in a sample of \d+ values \(long text\)/);
    assert.match(summaryLine(at), /no value repeats in a sample of \d+ values \(timestamps as text\)/);
    await source.dispose();
  });

  it('a file replaced while it is profiled: the profile is of one version, and the next of the new one', async () => {
    const path = folder.path('moving.csv');
    await folder.duckdb(`COPY (${rowsSql(low, high)}) TO ${lit(path)} (HEADER)`);
    const source = new FileDatasetSource(path, engine);
    let replaced: Promise<void> | undefined;
    engine.sampled = () => {
      engine.sampled = () => undefined;
      // Replaced as editors and tools save: a new file renamed over the old one, here with no outliers and other values.
      replaced = folder.duckdb(`COPY (${rowsSql([], [], 500)} LIMIT ${ROWS - 100_000}) TO ${lit(folder.path('moving.next.csv'))} (HEADER)`).then(() => renameSync(folder.path('moving.next.csv'), path));
    };
    const before = await profile(source).then(
      (m) => m.get('x'),
      (error: unknown) => error as Error,
    );
    await replaced;
    if (before instanceof Error) assert.match(before.message, /moving\.csv/);
    else {
      // Whichever version it read, its figures agree with each other: the bins hold the sample's rows, or every row where the sample was not of this version.
      assert.equal(before?.histogram?.counts.reduce((a, b) => a + b, 0), before?.sampledRows ?? (before?.count ?? 0) - (before?.nulls ?? 0));
    }
    const after = (await profile(source)).get('x') ?? assert.fail('x');
    assert.deepEqual([after.count, after.min, after.max], [ROWS - 100_000, 1000, 1999]);
    // A million rows: within EXACT_ROWS, so every row is counted, not sampled.
    assert.equal(after.sampledRows, undefined);
    assert.equal(after.histogram?.counts.reduce((a, b) => a + b, 0), ROWS - 100_000);
    assert.equal(after.histogram?.endsWidened, undefined, 'the new sample saw the new range');
    await source.dispose();
  });

  it('cancelled: the scan stops, the sample file is gone, and the next profile starts afresh', async () => {
    const source = new FileDatasetSource(folder.path('wide.csv'), engine);
    const stop = new AbortController();
    engine.sampled = () => {
      engine.sampled = () => undefined;
      setTimeout(() => stop.abort(), 200);
    };
    const info = await source.info(EMPTY_VIEW, signal()).catch((e: unknown) => e);
    assert.ok(!(info instanceof Error), String(info));
    await assert.rejects(source.summarize('x', EMPTY_VIEW, stop.signal), (e: Error) => e.name === 'AbortError' || /cancel/i.test(e.message));
    // The cancelled work winds down after the caller's promise has rejected: its sample file goes within moments.
    for (let i = 0; i < 50 && sampleFolders().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(sampleFolders(), [], 'no sample file left behind');
    const x = await source.summarize('x', EMPTY_VIEW, signal());
    assert.deepEqual([x.min, x.max, x.count], [-999, 9999, ROWS]);
    await source.dispose();
  });
});
