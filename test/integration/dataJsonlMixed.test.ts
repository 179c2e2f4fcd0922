import * as assert from 'node:assert/strict';
import { cellDisplay } from '../../media/data/format';
import { cellText } from '../../src/data/clipboardText';
import { copyAsCode } from '../../src/data/copyAsCode';
import type { Cell, DatasetColumn, DatasetView } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder } from '../support/dataFixtures';

// A JSON lines column whose values differ in type is DuckDB's JSON type, whose text keeps a
// string's quotes: the grid showed "a". Now a string shows as itself, numbers and booleans as
// written, lists and objects as compact JSON; copying a cell and Copy as Code (pandas in Debian's
// pandas, SQL in DuckDB) give the same text. The file is written by Python's json module.

const signal = new AbortController().signal;

const PANDAS_SHOW = `
import json, math
def show(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "NULL"
    return str(v)
print(json.dumps([[show(v) for v in row] for row in df.astype(object).itertuples(index=False, name=None)]))
`;

const POLARS_SHOW = `
def show(v):
    return "NULL" if v is None else ("True" if v is True else "False" if v is False else str(v))
print(json.dumps([[show(v) for v in row] for row in df.rows()]))
`;

const VIEWS: Record<string, DatasetView> = {
  'no view': { filters: [], sort: [] },
  'the string "a" kept by a filter': { filters: [{ column: 'v', op: 'equals', value: 'a' }], sort: [] },
  'sorted by id, descending': { filters: [], sort: [{ column: 'id', descending: true }] },
};

const gridText = (columns: readonly DatasetColumn[], rows: readonly (readonly Cell[])[]): string[][] => rows.map((r) => r.map((v, i) => cellDisplay(v, columns[i]?.kind)));

describe('Dataset: a JSON lines column of mixed types shows values, not JSON text', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let hasPolars = false;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    folder.python(`import json
values = [1, "a", [1, 2], {"k": "x", "n": [True, None]}, None, 2.5, True, "Zürich \\"quoted\\"", "", 10]
with open("mixed.jsonl", "w", encoding="utf-8") as f:
    for i, v in enumerate(values):
        f.write(json.dumps({"id": i, "v": v, "same": "text"}) + "\\n")
# Numbers on the whole first page, a string after it (within DuckDB's sample: still one JSON column).
with open("late.jsonl", "w", encoding="utf-8") as f:
    for i in range(300):
        f.write(json.dumps({"id": i, "v": "late" if i == 260 else i}) + "\\n")`);
    try {
      folder.python('import polars');
      hasPolars = true;
    } catch {
      hasPolars = false;
    }
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('strings as themselves, numbers as written, lists and objects as compact JSON; a copied cell the same', async () => {
    const source = new FileDatasetSource(folder.path('mixed.jsonl'), engine);
    try {
      const info = await source.info(VIEWS['no view']!, signal);
      assert.deepEqual(info.columns.map((c) => [c.name, c.kind]), [['id', 'integer'], ['v', 'string'], ['same', 'string']]);
      const rows = (await source.rows(VIEWS['no view']!, 0, 100, signal)).rows;
      assert.deepEqual(rows.map((r) => r[1]), ['1', 'a', '[1,2]', '{"k":"x","n":[true,null]}', null, '2.5', 'true', 'Zürich "quoted"', '', '10']);
      assert.deepEqual(rows.map((r) => cellText(r[1] ?? null)).slice(0, 3), ['1', 'a', '[1,2]']);
      // The table behind filters and sorts holds the same text as the first page.
      assert.deepEqual((await source.rows(VIEWS['the string "a" kept by a filter']!, 0, 100, signal)).rows, [[1, 'a', 'text']]);
      assert.equal((await source.summarize('v', VIEWS['no view']!, signal)).nulls, 1);
    } finally {
      await source.dispose();
    }
  });

  it('a string after a first page of numbers shows without quotes too', async () => {
    const source = new FileDatasetSource(folder.path('late.jsonl'), engine);
    try {
      await source.info(VIEWS['no view']!, signal);
      assert.deepEqual((await source.rows(VIEWS['no view']!, 259, 3, signal)).rows, [[259, '259'], [260, 'late'], [261, '261']]);
      assert.deepEqual((await source.rows({ filters: [{ column: 'v', op: 'equals', value: 'late' }], sort: [] }, 0, 10, signal)).rows, [[260, 'late']]);
    } finally {
      await source.dispose();
    }
  });

  for (const [name, view] of Object.entries(VIEWS)) {
    it(`${name}: pandas and SQL show what the grid shows`, async () => {
      const source = new FileDatasetSource(folder.path('mixed.jsonl'), engine);
      try {
        const info = await source.info(view, signal);
        const shown = gridText(info.columns, (await source.rows(view, 0, 1000, signal)).rows);
        assert.ok(shown.length > 0, 'the view keeps rows');
        const pandas = copyAsCode(source.origin, view, 'pandas', info.columns);
        assert.deepEqual(JSON.parse(folder.python(`${pandas}${PANDAS_SHOW}`)) as string[][], shown, pandas);
        const sql = copyAsCode(source.origin, view, 'sql', info.columns);
        assert.deepEqual(gridText(info.columns, (await folder.duckdbRows(sql)) as Cell[][]), shown, sql);
        const polars = copyAsCode(source.origin, view, 'polars', info.columns);
        assert.match(polars, /pl\.read_ndjson\(.*schema_overrides=\{"v": pl\.String\}\)/);
        // polars is not in Debian 12 (as dataCopyAsCode.test.ts): run where the Python imports it (PYTHONPATH).
        if (hasPolars) assert.deepEqual(JSON.parse(folder.python(`${polars}${POLARS_SHOW}`)) as string[][], shown, polars);
      } finally {
        await source.dispose();
      }
    });
  }
});
