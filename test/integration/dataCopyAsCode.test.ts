import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { copyAsCode, type CodeLanguage } from '../../src/data/copyAsCode';
import { copyAsCodeOn, csvReading } from '../../src/data/copyAsCodeCsv';
import type { Cell, DatasetColumn, DatasetView } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder, lit } from '../support/dataFixtures';

// Copy as Code, run: the SQL in DuckDB, the pandas code in Debian's pandas, each compared row by
// row with what the engine shows for the same view. polars is not in Debian 12 and PyPI cannot be
// reached from CI, so its code is checked for shape always, and run and compared row by row only
// where the Python imports polars (e.g. PYTHONPATH pointing at a polars wheel unpacked by hand).
// The code is made as the viewer makes it (copyAsCodeOn: a CSV's header and date formats asked of
// the engine's sniffer), and dates are printed as the engine writes them.

const VIEWS: Record<string, DatasetView> = {
  'no view': { filters: [], sort: [] },
  'sort ascending with ties and nulls': { filters: [], sort: [{ column: 'score', descending: false }] },
  'two keys, first descending': { filters: [], sort: [{ column: 'score', descending: true }, { column: 'label', descending: false }] },
  'equals + range, sorted by a float with nulls': {
    filters: [
      { column: 'label', op: 'equals', value: 'dog' },
      { column: 'score', op: 'range', min: 3, max: 8 },
    ],
    sort: [{ column: 'x', descending: true }],
  },
  'contains (any case) + not null': {
    filters: [
      { column: 'label', op: 'contains', text: 'IR' },
      { column: 'x', op: 'isNull', negate: true },
    ],
    sort: [],
  },
  'topK + sort': { filters: [{ column: 'label', op: 'topK', k: 2 }], sort: [{ column: 'id', descending: true }] },
  'is null + date range': {
    filters: [
      { column: 'score', op: 'equals', value: null },
      { column: 'day', op: 'range', min: '2024-03-01', max: '2024-06-30' },
    ],
    sort: [{ column: 'day', descending: false }],
  },
  'text with quotes': { filters: [{ column: 'note', op: 'contains', text: 'say "hi"', caseSensitive: true }], sort: [] },
};

const signal = new AbortController().signal;

/** Prints `df` (pandas or polars) as JSON rows: missing as null, dates and timestamps as the engine writes them (2020-01-05, 2020-01-05 03:04:05.5). */
function showRows(columns: readonly DatasetColumn[]): string {
  const days = JSON.stringify(columns.filter((c) => c.kind === 'date').map((c) => c.name));
  return `
import datetime, json
def _show(v, day):
    try:
        if v is None or v != v:
            return None
    except TypeError:
        return None  # pandas' NA
    if isinstance(v, datetime.datetime):
        if day:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S") + (f".{v.microsecond:06d}".rstrip("0") if v.microsecond else "") + ("+00" if v.tzinfo else "")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v
_day = [name in ${days} for name in df.columns]
_rows = df.rows() if type(df).__module__.startswith("polars") else df.astype(object).itertuples(index=False, name=None)
print(json.dumps([[_show(v, d) for v, d in zip(r, _day)] for r in _rows]))
`;
}

/** Values compared across tools: pandas' floats for integer columns with gaps (3.0) equal 3. */
function normal(rows: readonly (readonly unknown[])[]): Cell[][] {
  return rows.map((r) => r.map((v) => (v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as Cell))));
}

describe('Copy as Code: pandas and SQL give the rows the engine shows', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let source: FileDatasetSource;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    await folder.duckdb(`COPY (SELECT i AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 11 END AS score, ['cat', 'dog', 'bird'][1 + i % 3] AS label,
      CASE WHEN i % 5 = 0 THEN NULL ELSE round((i * 13) % 17 / 4.0, 2) END AS x, CAST(DATE '2024-01-01' + INTERVAL (i % 200) DAY AS DATE) AS day,
      CASE WHEN i % 50 = 0 THEN 'they say "hi", twice' ELSE 'n' || i END AS note FROM range(3000) t(i)) TO ${lit(folder.path('train.csv'))} (HEADER)`);
    source = new FileDatasetSource(folder.path('train.csv'), engine);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  for (const [name, view] of Object.entries(VIEWS)) {
    it(`${name}: SQL in DuckDB and pandas in Python match the engine`, async () => {
      const info = await source.info(view, signal);
      const expected = normal((await source.rows(view, 0, 10_000, signal)).rows);
      assert.equal(expected.length, info.viewRows);
      assert.ok(expected.length > 0 || name === 'text with quotes', 'the view keeps rows');
      const sql = copyAsCode(source.origin, view, 'sql', info.columns);
      assert.deepEqual(normal(await folder.duckdbRows(sql)), expected, sql);
      const pandas = await copyAsCodeOn(engine)(source.origin, view, 'pandas', info.columns);
      assert.match(pandas, /^df\["day"\] = pd\.to_datetime\(df\["day"\], format="%Y-%m-%d"\)$/m);
      assert.deepEqual(normal(JSON.parse(folder.python(`${pandas}${showRows(info.columns)}`)) as unknown[][]), expected, pandas);
    });
  }

  it('a kernel variable: the pandas code runs on the DataFrame by its name', () => {
    const view = VIEWS['two keys, first descending']!;
    const code = copyAsCode({ kind: 'kernel', variable: 'train_df', library: 'pandas' }, view, 'pandas');
    assert.match(code, /^df = train_df$/m);
    const fromKernel = folder.python(`import pandas as pd\ntrain_df = pd.read_csv("train.csv")\n${code}\nprint(df.to_json(orient="values"))`);
    const fromFile = folder.python(`${copyAsCode(source.origin, view, 'pandas')}\nprint(df.to_json(orient="values"))`);
    assert.equal(fromKernel, fromFile);
    assert.match(copyAsCode({ kind: 'kernel', variable: 'train_df', library: 'pandas' }, view, 'sql'), /FROM "train_df"/);
  });

  it('Parquet: the SQL (stable ties through file_row_number) matches the engine', async () => {
    await folder.duckdb(`COPY (SELECT * FROM read_csv(${lit(folder.path('train.csv'))})) TO ${lit(folder.path('train.parquet'))} (FORMAT parquet, ROW_GROUP_SIZE 512)`);
    const parquet = new FileDatasetSource(folder.path('train.parquet'), engine);
    for (const view of Object.values(VIEWS)) {
      const info = await parquet.info(view, signal);
      const sql = copyAsCode(parquet.origin, view, 'sql', info.columns);
      assert.deepEqual(normal(await folder.duckdbRows(sql)), normal((await parquet.rows(view, 0, 10_000, signal)).rows), sql);
    }
  });

  it('polars, where the Python has it: each view\'s code gives the rows the engine shows', async function () {
    try {
      folder.python('import polars');
    } catch {
      this.skip(); // not in Debian 12, PyPI unreachable: the structure test below still runs
    }
    for (const [name, view] of Object.entries(VIEWS)) {
      const info = await source.info(view, signal);
      const expected = normal((await source.rows(view, 0, 10_000, signal)).rows);
      const code = await copyAsCodeOn(engine)(source.origin, view, 'polars', info.columns);
      assert.deepEqual(normal(JSON.parse(folder.python(`${code}${showRows(info.columns)}`)) as unknown[][]), expected, `${name}\n${code}`);
    }
  });

  it('polars (not installable in CI: not in Debian 12, PyPI unreachable): the code has the same structure', async () => {
    const columns = (await source.info(VIEWS['no view']!, signal)).columns;
    const code = copyAsCode(source.origin, VIEWS['equals + range, sorted by a float with nulls']!, 'polars', columns, await csvReading(engine, source.origin, signal));
    assert.match(code, /^df = pl\.read_csv\(".*train\.csv", new_columns=\["id", "score", "label", "x", "day", "note"\]\)\ndf = df\.with_columns\(pl\.col\("day"\)\.str\.to_date\("%Y-%m-%d"\)\)$/m);
    assert.match(code, /df\.filter\(\(pl\.col\("label"\) == pl\.lit\("dog"\)\)/);
    assert.match(code, /df\.sort\(\["x"\], descending=\[True\], nulls_last=True, maintain_order=True\)/);
    const dated = copyAsCode(source.origin, VIEWS['is null + date range']!, 'polars', [{ name: 'day', type: 'DATE', kind: 'date' }]);
    assert.match(dated, /pl\.col\("day"\) >= pl\.date\(2024, 3, 1\)/);
    writeFileSync(folder.path('polars_view.py'), dated);
    // Python parses it (no polars needed to compile).
    folder.python('import ast; ast.parse(open("polars_view.py").read())');
  });
});

/**
 * Files the code must read as the engine did: US dates with timestamps whose hours have one digit,
 * ;-separated European dates with AM/PM timestamps, repeated, blank and padded headers (the engine
 * says a_1, column3, b where pandas says a.1, Unnamed: 3, " b "), and a file with no header.
 */
const READS: Record<string, { readonly text: string; readonly views: Record<string, DatasetView> }> = {
  'us-dates.csv': {
    text: 'id,d,ts\n1,12/31/2019,2020-01-05 3:04:05\n2,01/05/2020,2020-01-05 13:04:05\n3,02/01/2020,\n4,11/15/2020,2019-12-31 23:59:59\n5,,2020-02-01 0:00:00\n6,01/05/2020,2020-01-05 3:04:05\n',
    views: {
      'd >= 2020-01-01 sorted by d (the review\'s case)': { filters: [{ column: 'd', op: 'range', min: '2020-01-01' }], sort: [{ column: 'd', descending: false }] },
      'a timestamp range, sorted by it descending': { filters: [{ column: 'ts', op: 'range', min: '2020-01-05 03:04:05', max: '2020-02-01 00:00:00' }], sort: [{ column: 'ts', descending: true }] },
      'one date, the most frequent timestamps': { filters: [{ column: 'd', op: 'equals', value: '2020-01-05' }, { column: 'ts', op: 'topK', k: 1 }], sort: [] },
    },
  },
  'eu-dates.csv': {
    text: 'id;d;t\n1;31.12.2019;12/31/2019 11:00:00 PM\n2;05.01.2020;01/05/2020 03:04:05 PM\n3;01.02.2020;\n4;13.01.2020;01/13/2020 09:30:00 AM\n',
    views: {
      'a date range sorted by the timestamp': { filters: [{ column: 'd', op: 'range', min: '2020-01-01', max: '2020-01-31' }], sort: [{ column: 't', descending: false }] },
      'timestamps after noon of Jan 5th': { filters: [{ column: 't', op: 'range', min: '2020-01-05 12:00:00' }], sort: [] },
    },
  },
  'headers.csv': {
    text: 'a,a, b ,\n1,2,x,5\n3,4,y,6\n5,,z,\n',
    views: {
      'sorted by the repeated header (a_1), descending': { filters: [], sort: [{ column: 'a_1', descending: true }] },
      'the blank header (column3) in a range, the padded one (b) equal': { filters: [{ column: 'column3', op: 'range', min: 5 }, { column: 'b', op: 'equals', value: 'x' }], sort: [] },
    },
  },
  'no-header.csv': { text: '1,2.5\n3,4.5\n', views: { 'sorted by the second column': { filters: [], sort: [{ column: 'column1', descending: true }] } } },
  // Values past the sniffer's 20 480 rows (and polars' 100) that do not fit: the engine reads x and y as text, and so must the code.
  'late-values.csv': {
    text: `id,x,y\n${Array.from({ length: 30_000 }, (_, i) => `${i},${i === 25_000 ? 'abc' : i},${i === 26_000 ? 'NA' : `${i}.5`}`).join('\n')}\n`,
    views: {
      'x holding letters, sorted by it': { filters: [{ column: 'x', op: 'contains', text: 'B' }], sort: [{ column: 'x', descending: false }] },
      'y equal to NA': { filters: [{ column: 'y', op: 'equals', value: 'NA' }], sort: [] },
    },
  },
};

describe('Copy as Code reads a CSV as the engine did: dates, delimiters, headers', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let polars = false;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    for (const [file, { text }] of Object.entries(READS)) writeFileSync(folder.path(file), text);
    try {
      folder.python('import polars');
      polars = true;
    } catch {
      // not in Debian 12: the polars code is run where the Python has it
    }
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  for (const [file, { views }] of Object.entries(READS)) {
    for (const [name, view] of Object.entries(views)) {
      it(`${file}, ${name}: SQL, pandas and (where the Python has it) polars give the engine's rows`, async () => {
        const source = new FileDatasetSource(folder.path(file), engine);
        try {
          const info = await source.info(view, signal);
          const expected = normal((await source.rows(view, 0, 10_000, signal)).rows);
          assert.ok(expected.length > 0, 'the view keeps rows');
          const code = (language: CodeLanguage): Promise<string> => copyAsCodeOn(engine)(source.origin, view, language, info.columns);
          const sql = await code('sql');
          assert.deepEqual(normal(await folder.duckdbRows(sql)), expected, sql);
          for (const language of polars ? (['pandas', 'polars'] as const) : (['pandas'] as const)) {
            const python = await code(language);
            assert.deepEqual(normal(JSON.parse(folder.python(`${python}${showRows(info.columns)}`)) as unknown[][]), expected, python);
          }
        } finally {
          await source.dispose();
        }
      });
    }
  }

  it('the code says how: the sniffed formats, pd.Timestamp literals, the engine\'s names, no header', async () => {
    const read = async (file: string, language: CodeLanguage, view: DatasetView = { filters: [], sort: [] }): Promise<string> => {
      const source = new FileDatasetSource(folder.path(file), engine);
      try {
        const info = await source.info(view, signal);
        return copyAsCode(source.origin, view, language, info.columns, await csvReading(engine, source.origin, signal));
      } finally {
        await source.dispose();
      }
    };
    const us = await read('us-dates.csv', 'pandas', READS['us-dates.csv']!.views['d >= 2020-01-01 sorted by d (the review\'s case)']);
    assert.match(us, /^df\["d"\] = pd\.to_datetime\(df\["d"\], format="%m\/%d\/%Y"\)$/m);
    assert.match(us, /^df\["ts"\] = pd\.to_datetime\(df\["ts"\]\)$/m);
    assert.match(us, /\(df\["d"\] >= pd\.Timestamp\("2020-01-01"\)\)/);
    const eu = await read('eu-dates.csv', 'polars');
    assert.match(eu, /^df = pl\.read_csv\(".*eu-dates\.csv", separator=";", new_columns=\["id", "d", "t"\]\)$/m);
    assert.match(eu, /pl\.col\("d"\)\.str\.to_date\("%d\.%m\.%Y"\), pl\.col\("t"\)\.str\.to_datetime\("%m\/%d\/%Y %I:%M:%S %p"\)/);
    assert.match(await read('headers.csv', 'pandas'), /header=0, names=\["a", "a_1", "b", "column3"\]/);
    assert.match(await read('no-header.csv', 'pandas'), /header=None, names=\["column0", "column1"\]/);
    assert.match(await read('no-header.csv', 'polars'), /has_header=False, new_columns=\["column0", "column1"\]/);
  });
});
