import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cellDisplay } from '../../media/data/format';
import { copyAsCode } from '../../src/data/copyAsCode';
import type { Cell, DatasetColumn, DatasetView } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder } from '../support/dataFixtures';

// Copy as Code gives the values the grid shows, cell for cell as text: the copied pandas code run
// in Debian's pandas (and the SQL in DuckDB) on CSVs that Python's csv module and pandas wrote with
// the awkward parts: "NA" / "null" / "" markers, whole floats (1.0), integers with gaps, booleans
// (True / False), and a Latin-1 file. Each cell is compared as the grid writes it (media/data/format.ts cellDisplay)
// against how Python prints the value (missing as NULL, as the grid does).

const signal = new AbortController().signal;

/** Prints `df` (pandas) as JSON rows of the text Python shows for each value, missing values as "NULL". */
const PANDAS_SHOW = `
import json, math
def show(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "NULL"
    return str(v)
print(json.dumps([[show(v) for v in row] for row in df.astype(object).itertuples(index=False, name=None)]))
`;

const VIEWS: Record<string, DatasetView> = {
  'no view': { filters: [], sort: [] },
  'sorted by the whole-float column, descending': { filters: [], sort: [{ column: 'weight', descending: true }] },
  'the NA text kept by a filter': { filters: [{ column: 'status', op: 'equals', value: 'NA' }], sort: [] },
};

function gridText(columns: readonly DatasetColumn[], rows: readonly (readonly Cell[])[]): string[][] {
  return rows.map((r) => r.map((v, i) => cellDisplay(v, columns[i]?.kind)));
}

describe('Copy as Code gives the values the grid shows (NA markers, whole floats, Latin-1)', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: DataEngine;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    // Python's csv module writes the markers as they are: "NA" and "null" are text to DuckDB (only
    // an empty field is missing), while pandas' read_csv takes both as missing by default.
    folder.python(`import csv
rows = [["id", "status", "note", "weight", "score", "flag"],
        [1, "ok", "first", 1.0, 3, True],
        [2, "NA", "null", 2.0, "", False],
        [3, "", "", 2.5, 7, False],
        [4, "null", "N/A", "", 10, True],
        [5, "done", "NaN text", 4.0, "", True]]
with open("markers.csv", "w", newline="") as f:
    csv.writer(f).writerows(rows)`);
    // nvidia-smi's PCI bus ids, which DuckDB's default sniffer takes for times of day (00:00:09).
    folder.python(`import csv
with open("bus-ids.csv", "w", newline="") as f:
    csv.writer(f).writerows([["index", "pci.bus_id", "uptime"], [0, "00000000:00:09.0", "10:11:12"], [1, "00000000:1A:00.0", "23:59:59"]])`);
    // pandas writes whole floats as 1.0 and a Latin-1 file when asked.
    folder.python(`import pandas as pd
pd.DataFrame({"city": ["Zürich", "Köln", "Málaga", "Besançon"], "price": [1.0, 2.0, 3.5, 10.0], "rank": [1, 2, 3, 4]}).to_csv("latin1.csv", index=False, encoding="latin-1")`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('the Latin-1 file really is Latin-1 (not UTF-8)', () => {
    const bytes = readFileSync(folder.path('latin1.csv'));
    assert.ok(bytes.includes(0xfc), 'ü is one byte');
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  });

  for (const file of ['markers.csv', 'latin1.csv', 'bus-ids.csv']) {
    for (const [name, view] of Object.entries(VIEWS)) {
      if (file !== 'markers.csv' && name !== 'no view') continue;
      it(`${file}, ${name}: pandas and SQL show what the grid shows`, async () => {
        const source = new FileDatasetSource(folder.path(file), engine);
        try {
          const info = await source.info(view, signal);
          const shown = gridText(info.columns, (await source.rows(view, 0, 1000, signal)).rows);
          assert.ok(shown.length > 0, 'the view keeps rows');
          const pandas = copyAsCode(source.origin, view, 'pandas', info.columns);
          assert.deepEqual(JSON.parse(folder.python(`${pandas}${PANDAS_SHOW}`)) as string[][], shown, pandas);
          const sql = copyAsCode(source.origin, view, 'sql', info.columns);
          assert.deepEqual(gridText(info.columns, (await folder.duckdbRows(sql)) as Cell[][]), shown, sql);
        } finally {
          await source.dispose();
        }
      });
    }
  }

  it('the grid writes a float column\'s whole values as 1.0, an integer column\'s as 1', () => {
    assert.equal(cellDisplay(1, 'float'), '1.0');
    assert.equal(cellDisplay(-3, 'float'), '-3.0');
    assert.equal(cellDisplay(2.5, 'float'), '2.5');
    assert.equal(cellDisplay(1, 'integer'), '1');
    assert.equal(cellDisplay(null, 'float'), 'NULL');
  });

  it('the grid writes booleans as pandas prints them: True and False', async () => {
    assert.equal(cellDisplay(true, 'boolean'), 'True');
    assert.equal(cellDisplay(false, 'boolean'), 'False');
    const source = new FileDatasetSource(folder.path('markers.csv'), engine);
    try {
      const flag = await source.summarize('flag', VIEWS['no view']!, signal);
      assert.equal(flag.kind, 'boolean');
      assert.deepEqual((flag.topValues ?? []).map((t) => cellDisplay(t.value)), ['True', 'False']);
      assert.deepEqual([flag.min, flag.max].map((v) => cellDisplay(v ?? null)), ['False', 'True']);
    } finally {
      await source.dispose();
    }
  });
});
