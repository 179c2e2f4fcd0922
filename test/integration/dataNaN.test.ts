import * as assert from 'node:assert/strict';
import type { DatasetView } from '../../src/data/datasetSource';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder, lit } from '../support/dataFixtures';

// A float NaN is missing, as pandas (and the summaries, and the kernel grid) take it: "is null"
// finds it, a sort puts it last both ways, a range or top-k never keeps it, the grid shows it empty.
// Files other tools wrote: a CSV pandas wrote with NaN spelled out, a Parquet DuckDB wrote with
// real IEEE NaN values; the expected rows are pandas' own answers on the same data.

const signal = (): AbortSignal => new AbortController().signal;

describe('Dataset engine: NaN is missing, as in pandas', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  /** pandas' answers: ids of each view, in order. */
  let expected: Record<string, number[]>;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 1 });
    // 300 rows: x is NaN every 5th row, None (missing) every 7th, else a value with ties.
    const out = folder.python(`
import json, numpy as np, pandas as pd
ids = np.arange(300)
x = ((ids * 37) % 11).astype(float)
x[ids % 5 == 0] = np.nan
df = pd.DataFrame({"id": ids, "x": x})
df.to_csv("nan.csv", index=False, na_rep="NaN")
back = pd.read_csv("nan.csv")
views = {
  "isnull": back[back["x"].isna()],
  "notnull": back[back["x"].notna()],
  "desc": back.sort_values(["x"], ascending=[False], na_position="last", kind="stable"),
  "asc": back.sort_values(["x"], ascending=[True], na_position="last", kind="stable"),
  "range": back[(back["x"] >= 5)],
  "top2": back[back["x"].isin(back["x"].value_counts().sort_index().sort_values(ascending=False, kind="stable").head(2).index)],
}
print(json.dumps({k: v["id"].tolist() for k, v in views.items()}))
`);
    expected = JSON.parse(out) as Record<string, number[]>;
    await folder.duckdb(`COPY (SELECT id, x FROM read_csv(${lit(folder.path('nan.csv'))}, types = {'x': 'DOUBLE'})) TO ${lit(folder.path('nan.parquet'))} (FORMAT parquet)`);
    const nans = await folder.duckdbRows(`SELECT count(*) FROM ${lit(folder.path('nan.parquet'))} WHERE isnan(x)`);
    assert.deepEqual(nans, [[60]], 'the Parquet file holds real NaN values');
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  const views: Record<string, DatasetView> = {
    isnull: { filters: [{ column: 'x', op: 'isNull' }], sort: [] },
    notnull: { filters: [{ column: 'x', op: 'isNull', negate: true }], sort: [] },
    desc: { filters: [], sort: [{ column: 'x', descending: true }] },
    asc: { filters: [], sort: [{ column: 'x', descending: false }] },
    range: { filters: [{ column: 'x', op: 'range', min: 5 }], sort: [] },
    top2: { filters: [{ column: 'x', op: 'topK', k: 2 }], sort: [] },
  };

  for (const file of ['nan.csv', 'nan.parquet']) {
    it(`${file}: filters and sorts give pandas' rows; NaN cells are empty; the summary agrees`, async () => {
      const source = new FileDatasetSource(folder.path(file), engine);
      const first = await source.rows(EMPTY_VIEW, 0, 6, signal());
      assert.deepEqual(first.rows[0], [0, null], 'NaN shows as missing on the first page');
      for (const [name, view] of Object.entries(views)) {
        const info = await source.info(view, signal());
        const page = await source.rows(view, 0, 400, signal());
        assert.deepEqual(page.rows.map((r) => r[0]), expected[name], `${file} ${name}`);
        assert.equal(info.viewRows, expected[name]?.length, `${file} ${name} count`);
        assert.ok(page.rows.every((r) => r[1] !== 'NaN'), `${file} ${name}: no "NaN" text`);
      }
      const summary = await source.summarize('x', EMPTY_VIEW, signal());
      assert.equal(summary.nulls, expected.isnull?.length);
      assert.equal(summary.distinct, 11 - 0);
      await source.dispose();
    });
  }
});
