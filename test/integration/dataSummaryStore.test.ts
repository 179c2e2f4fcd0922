import * as assert from 'node:assert/strict';
import { appendFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type { ColumnSummary, DatasetView } from '../../src/data/datasetSource';
import { DatasetSession } from '../../src/data/datasetSession';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import type { FromDataView, ToDataView } from '../../src/data/protocol';
import { SummaryStore } from '../../src/data/summaryStore';
import { eventually } from '../support/eventually';
import { DataFolder, lit } from '../support/dataFixtures';

// A file's column summaries outlive its grid (src/data/summaryStore.ts): a grid opened again on
// the same file (a tab closed and reopened, a window reloaded: a new source, a new session, a new
// store on the same folder) shows the summary with no query of the engine for it, and a grid on
// the file once rewritten computes it again. A big file's info (row count, columns, those a late
// value made text) is kept too: opened again, it is read whole by no query. The real engine, its
// queries counted (and kept) on the client.

const VIEW: DatasetView = { filters: [], sort: [{ column: 'x', descending: true }] };
const FILTERED: DatasetView = { filters: [{ column: 'label', op: 'equals', value: 'b' }], sort: [] };

/** 300 rows, x: 0 to mod - 1 (one digit: any mod gives a file of the same size), label: a/b/c. */
function csvText(mod: number): string {
  const rows = Array.from({ length: 300 }, (_, i) => `${i % mod},${'abc'[i % 3]}`);
  return `x,label\n${rows.join('\n')}\n`;
}

describe('Dataset summaries kept across grids (summaryStore.ts)', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let queries = 0;
  const sqls: string[] = [];

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    const query = engine.query.bind(engine);
    engine.query = (...args) => {
      queries++;
      sqls.push(args[0]);
      return query(...args);
    };
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  /** A grid on `csv`: its session over a new source and a store on `storeDir`. */
  function grid(csv: string, storeDir: string) {
    const source = new FileDatasetSource(csv, engine);
    const store = new SummaryStore(storeDir);
    const sent: ToDataView[] = [];
    const session = new DatasetSession(source, { title: 'd.csv', kind: 'file', canCompare: false, canCopyCode: false }, (m) => void sent.push(m), { writeClipboard: () => Promise.resolve() }, store);
    let id = 0;
    const summary = async (gen: number, column: string): Promise<ColumnSummary> => {
      const asked = ++id;
      await session.handle({ type: 'summarize', gen, id: asked, column } satisfies FromDataView);
      const reply = await eventually(`the summary of ${column}`, () => sent.find((m) => m.type === 'summary' && m.id === asked), (m) => m !== undefined);
      return (reply as Extract<ToDataView, { type: 'summary' }>).summary;
    };
    const view = (gen: number, v: DatasetView): Promise<void> => session.handle({ type: 'view', gen, view: v });
    const rows = async (gen: number, offset: number, limit: number) => {
      const asked = ++id;
      await session.handle({ type: 'rows', gen, id: asked, offset, limit } satisfies FromDataView);
      const reply = await eventually('the page', () => sent.find((m) => m.type === 'page' && m.id === asked), (m) => m !== undefined);
      return (reply as Extract<ToDataView, { type: 'page' }>).page.rows;
    };
    /** The last exact info the grid was sent. */
    const info = () => eventually('the exact info', () => sent.filter((m) => m.type === 'info' && m.info.rowsExact !== false).at(-1), (m) => m !== undefined).then((m) => (m as Extract<ToDataView, { type: 'info' }>).info);
    return { source, store, session, summary, view, rows, info, close: () => (session.dispose(), source.dispose()) };
  }

  it('a grid opened again shows the summary with no engine query; a rewritten file (same size, new mtime) gets a fresh one', async () => {
    const csv = folder.path('d.csv');
    const storeDir = folder.path('store');
    writeFileSync(csv, csvText(10));
    const first = grid(csv, storeDir);
    await first.view(1, VIEW);
    const x = await first.summary(1, 'x');
    await first.view(2, FILTERED);
    const filtered = await first.summary(2, 'x');
    assert.equal(x.max, 9);
    assert.equal(filtered.count, 100);
    const version = `${statSync(csv).size}-${Math.trunc(statSync(csv).mtimeMs)}`;
    const key = { path: csv, version, filters: FILTERED.filters, column: 'x', type: x.type, textColumns: [] };
    await eventually('the summaries written to the store', () => first.store.get(key), (s) => s !== undefined);
    await first.close();

    const second = grid(csv, storeDir);
    await second.view(1, { filters: [], sort: [] }); // the sort differs: the same summary
    const before = queries;
    assert.deepEqual(await second.summary(1, 'x'), x);
    assert.equal(queries, before, 'no engine query for a kept summary');
    await second.view(2, FILTERED);
    const beforeFiltered = queries;
    assert.deepEqual(await second.summary(2, 'x'), filtered);
    assert.equal(queries, beforeFiltered, 'no engine query for a filtered view kept');
    await second.close();

    // Same size, new mtime, other values: computed again, and what the file now holds.
    const { mtime } = statSync(csv);
    writeFileSync(csv, csvText(5));
    utimesSync(csv, mtime, new Date(mtime.getTime() + 5_000));
    assert.equal(`${statSync(csv).size}`, version.split('-')[0]);
    const third = grid(csv, storeDir);
    await third.view(1, VIEW);
    const beforeFresh = queries;
    const fresh = await third.summary(1, 'x');
    assert.ok(queries > beforeFresh, 'the rewritten file is summarized by the engine');
    assert.notDeepEqual(fresh.quantiles, x.quantiles);
    assert.deepEqual(fresh, { ...fresh, count: 300, min: 0, max: 4 });

    // A session that saw the change on disk (the watcher) asks again, and never gets the old one either.
    const mtime2 = statSync(csv).mtime;
    writeFileSync(csv, `${csvText(10)}9,a\n`); // one row more, the same mtime as the version just kept
    utimesSync(csv, mtime2, mtime2);
    await third.session.changed();
    await third.view(2, VIEW);
    const grown = await third.summary(2, 'x');
    assert.equal(grown.count, 301);
    await third.close();
  });

  it('a big CSV opened again (64 MB+, read in place) reads nothing whole: its count, its text column and summaries are kept; a grown file is counted again', async function () {
    this.timeout(300_000);
    // 1.3M rows (~70 MB): x holds 'abc' at line 1 000 002, far past any sniff: the summary of x meets it and reads x as text.
    const csv = folder.path('big.csv');
    const storeDir = folder.path('bigstore');
    await folder.duckdb(
      `COPY (SELECT i AS id, CASE WHEN i = 1000000 THEN 'abc' ELSE i::VARCHAR END AS x, 'row-' || md5(i::VARCHAR)[:24] AS s, i / 4 AS f FROM range(1300000) t(i) ORDER BY i) TO ${lit(csv)} (HEADER)`,
    );
    assert.ok(statSync(csv).size >= 64 * 1024 * 1024, `${statSync(csv).size} bytes: the quick open's path`);
    const first = grid(csv, storeDir);
    await first.view(1, { filters: [], sort: [] });
    assert.equal((await first.info()).totalRows, 1_300_000);
    const x = await first.summary(1, 'x');
    assert.equal(x.kind, 'string');
    const version = `${statSync(csv).size}-${Math.trunc(statSync(csv).mtimeMs)}`;
    await eventually('the info kept with x as text', () => first.store.getInfo(csv), (i) => i?.textColumns.includes('x') === true && i.totalRows === 1_300_000);
    await eventually('the summary kept', () => first.store.get({ path: csv, version, filters: [], column: 'x', type: 'VARCHAR', textColumns: ['x'] }), (s) => s !== undefined);
    await first.close();

    // Opened again: the header's count at once, x text in pages and in the summary, and every query a page's or the head's.
    const second = grid(csv, storeDir);
    const from = sqls.length;
    await second.view(1, { filters: [], sort: [] });
    const info = await second.info();
    assert.equal(info.totalRows, 1_300_000);
    assert.deepEqual(info.columns.map((c) => [c.name, c.kind]), [['id', 'integer'], ['x', 'string'], ['s', 'string'], ['f', 'float']]);
    assert.deepEqual((await second.rows(1, 0, 2)).map((r) => r.slice(0, 2)), [[0, '0'], [1, '1']]);
    assert.deepEqual(await second.summary(1, 'x'), x);
    const origin = second.source.origin;
    assert.deepEqual(origin.kind === 'file' ? origin.textColumns : undefined, ['x']);
    const read = sqls.slice(from);
    assert.ok(read.length > 0 && read.every((sql) => / LIMIT \d|LIMIT \$/.test(sql) && !/count\(|sniff_csv|approx|quantile/i.test(sql)), `only the head and a page: ${JSON.stringify(read)}`);
    await second.close();

    // Three rows more: another size, another version: counted again, never the kept count.
    appendFileSync(csv, '1300000,1300000,r,1\n1300001,1300001,r,1\n1300002,1300002,r,1\n');
    const third = grid(csv, storeDir);
    const fromThird = sqls.length;
    await third.view(1, { filters: [], sort: [] });
    assert.equal((await third.info()).totalRows, 1_300_003);
    assert.ok(sqls.slice(fromThird).some((sql) => /count\(/i.test(sql)), 'the grown file is counted');
    await third.close();
  });
});
