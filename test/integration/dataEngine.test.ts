import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../src/common/errors';
import type { DatasetView } from '../../src/data/datasetSource';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder, lit } from '../support/dataFixtures';

// The dataset engine against files DuckDB's own writer and pandas wrote: what the grid shows (pages,
// sort with ties in file order and nulls last both ways, AND-ed filters), summaries checked against
// DuckDB's and pandas' own numbers, and the engine process's cancellation and crash recovery.

const signal = (): AbortSignal => new AbortController().signal;

describe('Dataset engine: files other tools wrote', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    // 5000 rows: ids in file order, a score with ties and nulls, a low-cardinality (dictionary) label, a date, nested values.
    await folder.duckdb(`CREATE TABLE base AS SELECT i AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 11 END AS score,
      ['cat', 'dog', 'bird'][1 + i % 3] AS label, CAST(DATE '2024-01-01' + INTERVAL (i % 365) DAY AS DATE) AS day,
      [i, i + 1] AS pair, {'a': i, 'b': 'x' || i} AS rec FROM range(5000) t(i)`);
    for (const codec of ['snappy', 'zstd', 'gzip']) await folder.duckdb(`COPY base TO ${lit(folder.path(`base_${codec}.parquet`))} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 1024)`);
    await folder.duckdb(`COPY (SELECT id, score, label, day FROM base) TO ${lit(folder.path('base.csv'))} (HEADER)`);
    await folder.duckdb(`COPY (SELECT id, score, label, day FROM base) TO ${lit(folder.path('base.csv.gz'))} (HEADER, COMPRESSION gzip)`);
    await folder.duckdb(`COPY (SELECT id, score, label, day FROM base) TO ${lit(folder.path('base.tsv'))} (HEADER, DELIMITER '\t')`);
    await folder.duckdb(`COPY base TO ${lit(folder.path('base.jsonl'))} (FORMAT json)`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  for (const codec of ['snappy', 'zstd', 'gzip']) {
    it(`reads DuckDB-written Parquet (${codec}, nested and dictionary columns) with its schema and rows`, async () => {
      const source = new FileDatasetSource(folder.path(`base_${codec}.parquet`), engine);
      const info = await source.info(EMPTY_VIEW, signal());
      assert.equal(info.totalRows, 5000);
      assert.deepEqual(info.columns.map((c) => [c.name, c.kind]), [['id', 'integer'], ['score', 'integer'], ['label', 'string'], ['day', 'date'], ['pair', 'nested'], ['rec', 'nested']]);
      // The first page is read without row numbers (fileDatasetSource.ts describe): still in file order, across row groups, on two threads.
      assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 200, signal())).rows, await folder.duckdbRows('SELECT * FROM base WHERE id < 200 ORDER BY id'));
      const page = await source.rows(EMPTY_VIEW, 4998, 10, signal());
      // What DuckDB itself reads from the table the file was written from; nested values as DuckDB prints them.
      assert.deepEqual(page.rows, await folder.duckdbRows('SELECT * FROM base WHERE id >= 4998 ORDER BY id'));
    });
  }

  for (const name of ['base.csv', 'base.csv.gz', 'base.tsv', 'base.jsonl', 'base_zstd.parquet']) {
    it(`${name}: sorts stably (ties in file order), nulls last both ways, filters AND-ed`, async () => {
      const source = new FileDatasetSource(folder.path(name), engine);
      const all = await folder.duckdbRows(`SELECT id, score, label FROM base ORDER BY id`);
      const expected = (view: (r: unknown[]) => boolean, descending: boolean): number[] => {
        const kept = all.filter(view);
        const key = (r: unknown[]): number | null => r[1] as number | null;
        return [...kept]
          .sort((a, b) => {
            const x = key(a);
            const y = key(b);
            if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
            return descending ? y - x : x - y;
          })
          .map((r) => r[0] as number);
      };
      for (const descending of [false, true]) {
        const view: DatasetView = { filters: [], sort: [{ column: 'score', descending }] };
        const page = await source.rows(view, 0, 5000, signal());
        assert.deepEqual(page.rows.map((r) => r[0]), expected(() => true, descending), `descending=${descending}`);
      }
      const filtered: DatasetView = {
        filters: [
          { column: 'label', op: 'equals', value: 'dog' },
          { column: 'score', op: 'range', min: 3, max: 8 },
        ],
        sort: [{ column: 'score', descending: true }],
      };
      const want = expected((r) => r[2] === 'dog' && r[1] !== null && (r[1] as number) >= 3 && (r[1] as number) <= 8, true);
      const info = await source.info(filtered, signal());
      assert.equal(info.viewRows, want.length);
      assert.equal(info.totalRows, 5000);
      const page = await source.rows(filtered, 10, 20, signal());
      assert.deepEqual(page.rows.map((r) => r[0]), want.slice(10, 30));
    });
  }

  it('quickInfo: the columns and the first rows before the count, then nothing once counted, filtered or small', async () => {
    const source = new FileDatasetSource(folder.path('base.csv'), engine);
    const quick = await source.quickInfo(EMPTY_VIEW, signal());
    assert.ok(quick, 'a 5000-row CSV not yet counted has a quick answer');
    assert.equal(quick.rowsExact, false);
    assert.equal(quick.totalRows, quick.viewRows);
    assert.ok(quick.totalRows > 0 && quick.totalRows < 5000, `${quick.totalRows} rows known before the count`);
    assert.deepEqual(quick.columns.map((c) => c.name), ['id', 'score', 'label', 'day']);
    const page = await source.rows(EMPTY_VIEW, 0, quick.totalRows, signal());
    assert.equal(page.rows.length, quick.totalRows, 'the rows it counts are there to draw');
    assert.equal(await source.quickInfo({ filters: [{ column: 'label', op: 'equals', value: 'cat' }], sort: [] }, signal()), undefined);
    const exact = await source.info(EMPTY_VIEW, signal());
    assert.equal(exact.totalRows, 5000);
    assert.equal(exact.rowsExact, undefined);
    assert.equal(await source.quickInfo(EMPTY_VIEW, signal()), undefined, 'counted: info() answers at once');
    const small = join(folder.path('small.csv'));
    writeFileSync(small, 'a,b\n1,2\n3,4\n');
    assert.equal(await new FileDatasetSource(small, engine).quickInfo(EMPTY_VIEW, signal()), undefined, 'all rows read at open');
  });

  it('filters: contains (case-insensitive by default), isNull, negated isNull, topK', async () => {
    const source = new FileDatasetSource(folder.path('base.csv'), engine);
    const count = async (view: DatasetView): Promise<number> => (await source.info(view, signal())).viewRows;
    assert.equal(await count({ filters: [{ column: 'label', op: 'contains', text: 'IR' }], sort: [] }), 1666);
    assert.equal(await count({ filters: [{ column: 'label', op: 'contains', text: 'IR', caseSensitive: true }], sort: [] }), 0);
    assert.equal(await count({ filters: [{ column: 'score', op: 'isNull' }], sort: [] }), 715);
    assert.equal(await count({ filters: [{ column: 'score', op: 'isNull', negate: true }], sort: [] }), 4285);
    // The 2 most frequent labels of the file: cat (1667) and dog (1667); bird (1666) is left out.
    assert.equal(await count({ filters: [{ column: 'label', op: 'topK', k: 2 }], sort: [] }), 3334);
  });

  it('summaries match DuckDB and pandas: counts, nulls, distinct, mean/std, quantiles, histogram, top values', async () => {
    const source = new FileDatasetSource(folder.path('base.csv'), engine);
    const score = await source.summarize('score', EMPTY_VIEW, signal());
    const pandas = JSON.parse(folder.python(`import pandas as pd, json
df = pd.read_csv('base.csv')
s = df['score']
print(json.dumps({'count': int(s.count()), 'nulls': int(s.isna().sum()), 'distinct': int(s.nunique()), 'mean': float(s.mean()), 'std': float(s.std()),
  'q': [float(s.quantile(p)) for p in (0.05, 0.25, 0.5, 0.75, 0.95)], 'top': df['label'].value_counts().to_dict()}))`)) as { count: number; nulls: number; distinct: number; mean: number; std: number; q: number[]; top: Record<string, number> };
    assert.equal(score.count, 5000);
    assert.equal(score.nulls, pandas.nulls);
    assert.equal(score.count - score.nulls, pandas.count);
    assert.equal(score.distinct, pandas.distinct);
    assert.equal(score.distinctApproximate, false);
    assert.ok(Math.abs((score.mean ?? NaN) - pandas.mean) < 1e-9);
    assert.ok(Math.abs((score.std ?? NaN) - pandas.std) < 1e-9);
    assert.deepEqual(score.quantiles?.map((q) => q.value), pandas.q);
    assert.equal(score.histogram?.counts.reduce((a, b) => a + b, 0), pandas.count);
    assert.equal(score.histogram?.edges.length, (score.histogram?.counts.length ?? 0) + 1);
    const label = await source.summarize('label', EMPTY_VIEW, signal());
    assert.deepEqual(Object.fromEntries((label.topValues ?? []).map((t) => [t.value, t.count])), pandas.top);
    const day = await source.summarize('day', EMPTY_VIEW, signal());
    assert.equal(day.kind, 'date');
    assert.equal(day.min, '2024-01-01');
    assert.equal(day.max, '2024-12-30');
    assert.equal(day.histogram?.edges[0], '2024-01-01');
    const balance = await source.labelBalance('label', EMPTY_VIEW, 2, signal());
    assert.deepEqual(balance, { column: 'label', classes: [{ value: 'cat', count: 1667 }, { value: 'dog', count: 1667 }], otherCount: 1666, nulls: 0 });
  });

  it('reads pandas CSVs with embedded quotes, delimiters, newlines, missing values and dates as pandas does', async () => {
    folder.python(`import pandas as pd, numpy as np
df = pd.DataFrame({'text': ['plain', 'has "quotes"', 'comma, inside', 'line\\nbreak', None, 'tab\\there'],
  'when': pd.to_datetime(['2024-01-02 03:04:05', '2023-12-31', None, '2020-02-29 12:00', '1999-01-01', '2024-06-30 23:59:59']),
  'x': [1.5, np.nan, -2.25, 1e10, 0.0, 3.0]})
df.to_csv('pandas.csv', index=False)`);
    const source = new FileDatasetSource(folder.path('pandas.csv'), engine);
    const info = await source.info(EMPTY_VIEW, signal());
    assert.deepEqual(info.columns.map((c) => c.kind), ['string', 'timestamp', 'float']);
    const page = await source.rows(EMPTY_VIEW, 0, 10, signal());
    assert.deepEqual(page.rows, [
      ['plain', '2024-01-02 03:04:05', 1.5],
      ['has "quotes"', '2023-12-31 00:00:00', null],
      ['comma, inside', null, -2.25],
      ['line\nbreak', '2020-02-29 12:00:00', 1e10],
      [null, '1999-01-01 00:00:00', 0],
      ['tab\there', '2024-06-30 23:59:59', 3],
    ]);
  });

  it('a BOM and CRLF line ends are read as pandas reads them', async () => {
    writeFileSync(folder.path('bom.csv'), '\ufeffid,name\r\n1,a\r\n2,"b\r\nc"\r\n');
    const source = new FileDatasetSource(folder.path('bom.csv'), engine);
    const info = await source.info(EMPTY_VIEW, signal());
    assert.deepEqual(info.columns.map((c) => c.name), ['id', 'name']);
    assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 10, signal())).rows, [[1, 'a'], [2, 'b\r\nc']]);
  });

  it('a file that changes on disk is read again (version = size + mtime), the old table replaced', async () => {
    const path = folder.path('changing.csv');
    writeFileSync(path, 'a\n1\n2\n');
    const source = new FileDatasetSource(path, engine);
    const first = await source.info(EMPTY_VIEW, signal());
    assert.equal(first.totalRows, 2);
    writeFileSync(path, 'a\n1\n2\n3\n');
    const second = await source.info(EMPTY_VIEW, signal());
    assert.equal(second.totalRows, 3);
    assert.notEqual(first.version, second.version);
    assert.equal((await source.summarize('a', EMPTY_VIEW, signal())).max, 3);
  });

  it('an aborted query rejects with an AbortError soon after and the engine stays usable', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const slow = engine.query('SELECT count(*) FROM range(100000000000) a', {}, controller.signal);
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(slow, (e: Error) => e.name === 'AbortError');
    assert.ok(performance.now() - started < 5000);
    assert.deepEqual((await engine.query('SELECT 41 + 1', {})).rows, [[42]]);
  });

  it('a crashed engine process rejects what was pending with a UserError and the next query starts a fresh one', async () => {
    await engine.query('SELECT 1', {});
    const live = (engine as unknown as { live?: { child: { pid: number } } }).live;
    assert.ok(live);
    const slow = engine.query('SELECT count(*) FROM range(100000000000) a', {});
    setTimeout(() => process.kill(live.child.pid, 'SIGKILL'), 200);
    await assert.rejects(slow, (e: Error) => isUserError(e) && /data engine stopped/.test(e.message));
    const source = new FileDatasetSource(folder.path('base_snappy.parquet'), engine);
    assert.equal((await source.info(EMPTY_VIEW, signal())).totalRows, 5000);
  });

  it('runs below the editor\'s priority, every thread (DuckDB\'s busy in a scan among them), with every core by default', async function () {
    if (process.platform !== 'linux') this.skip(); // /proc: Linux keeps a priority per thread, where a thread left out is likeliest.
    const own = getPriority();
    const fresh = new DataEngine({ memoryLimitMb: 256 });
    try {
      assert.equal(await fresh.setting('threads'), String(Math.min(8, availableParallelism())));
      const scan = fresh.query('SELECT count(*) FROM range(30000000000) a', { timeMs: 60_000 }, AbortSignal.timeout(3000)).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const pid = fresh.pid;
      assert.ok(pid);
      const nice = (tid: string): number => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);
      const threads = readdirSync(`/proc/${pid}/task`);
      assert.ok(threads.length > 2, `${threads.length} threads`);
      const below = Math.min(19, own + 10);
      for (const tid of threads) assert.equal(nice(tid), below, `thread ${tid} of the engine runs at nice ${nice(tid)}, this process at ${own}`);
      await scan;
    } finally {
      await fresh.close();
    }
  });

  it('a query over its time limit is interrupted and says so; the process and a table built before it stay', async () => {
    const source = new FileDatasetSource(folder.path('base.tsv'), engine);
    assert.equal((await source.info(EMPTY_VIEW, signal())).totalRows, 5000);
    const tables = async (): Promise<string[]> => (await engine.query('SELECT table_name FROM duckdb_tables() ORDER BY 1', {})).rows.map((r) => String(r[0]));
    const before = await tables();
    assert.ok(before.length > 0, 'the source built its table');
    const pid = engine.pid;
    await assert.rejects(engine.query('SELECT count(*) FROM range(100000000000) a', { timeMs: 500 }), (e: Error) => isUserError(e) && /stopped a query that took longer than 1 s/.test(e.message));
    assert.equal(engine.pid, pid, 'no restart');
    assert.deepEqual(await tables(), before);
    assert.deepEqual((await source.rows({ filters: [], sort: [{ column: 'id', descending: true }] }, 0, 1, signal())).rows[0]?.[0], 4999);
  });

  it('a query over its time limit that ignores the interrupt (a read blocked on a FIFO) ends by the kill', async function () {
    if (process.platform === 'win32') this.skip(); // mkfifo
    const fifo = folder.path('blocked.csv');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const fresh = new DataEngine({ memoryLimitMb: 256, threads: 1, overrunGraceMs: 1000 });
    try {
      await fresh.query('SELECT 1', {});
      const pid = fresh.pid;
      const started = performance.now();
      await assert.rejects(fresh.query(`SELECT * FROM read_csv(${lit(fifo)})`, { timeMs: 500 }), (e: Error) => isUserError(e) && /data engine stopped: a query took longer than 1 s and did not stop when interrupted/.test(e.message));
      assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`);
      assert.deepEqual((await fresh.query('SELECT 1', {})).rows, [[1]]);
      assert.notEqual(fresh.pid, pid, 'a fresh process');
    } finally {
      await fresh.close();
    }
  });
});

describe('Dataset engine: comparing two files (train vs test)', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('schema differences and the rows both hold (leakage), with counts and a sample', async () => {
    // train: ids 0..999; test: ids 900..1099 plus a repeated row and one with a NULL both share; test's x is a DOUBLE, it has an extra column.
    await folder.duckdb(`CREATE TABLE train AS SELECT i AS id, i % 10 AS x, 'r' || i AS name, 'only' AS train_only FROM range(1000) t(i) UNION ALL SELECT 5000, NULL, 'n', 'only'`);
    await folder.duckdb(`CREATE TABLE test AS SELECT i AS id, CAST(i % 10 AS DOUBLE) AS x, 'r' || i AS name, true AS test_only FROM range(900, 1100) t(i)
      UNION ALL SELECT 950, 0.0, 'r950', false UNION ALL SELECT 5000, NULL, 'n', true`);
    await folder.duckdb(`COPY train TO ${lit(folder.path('train.parquet'))} (FORMAT parquet)`);
    await folder.duckdb(`COPY test TO ${lit(folder.path('test.csv'))} (HEADER)`);
    const { compareDatasets } = await import('../../src/data/engine/compareFiles');
    const result = await compareDatasets(new FileDatasetSource(folder.path('train.parquet'), engine), new FileDatasetSource(folder.path('test.csv'), engine), signal());
    assert.deepEqual(result.onlyInFirst.map((c) => c.name), ['train_only']);
    assert.deepEqual(result.onlyInSecond.map((c) => c.name), ['test_only']);
    assert.deepEqual(result.typeChanges, [{ column: 'x', firstType: 'BIGINT', secondType: 'DOUBLE' }]);
    assert.deepEqual(result.comparedColumns, ['id', 'x', 'name']);
    assert.equal(result.firstRows, 1001);
    assert.equal(result.secondRows, 202);
    // ids 900..999 and the NULL row; 950's repeat in test counts once in distinct, twice among test's rows.
    assert.equal(result.sharedDistinctRows, 101);
    assert.equal(result.firstRowsShared, 101);
    assert.equal(result.secondRowsShared, 102);
    assert.equal(result.sample.length, 20);
    for (const row of result.sample) assert.ok(row[0] === 5000 || ((row[0] as number) >= 900 && (row[0] as number) <= 999));
    // The other way round (the join's hash table then holds the other file): the same rows shared.
    const swapped = await compareDatasets(new FileDatasetSource(folder.path('test.csv'), engine), new FileDatasetSource(folder.path('train.parquet'), engine), signal());
    assert.deepEqual([swapped.sharedDistinctRows, swapped.firstRowsShared, swapped.secondRowsShared], [101, 102, 101]);
  });
});

describe('Dataset engine: close', function () {
  this.timeout(60_000);
  it('close() of an idle engine resolves once the process has exited, even when nothing else keeps the caller alive', async () => {
    const script = join(__dirname, '..', 'support', 'engineCloseScript.ts');
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.stdout, 'closed\n', result.stderr);
    const engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    await engine.close();
    await assert.rejects(engine.query('SELECT 1', {}), /closed/);
  });
});
