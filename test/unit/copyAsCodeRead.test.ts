import * as assert from 'node:assert/strict';
import { copyAsCode, type CsvReading } from '../../src/data/copyAsCode';
import type { DatasetColumn, DatasetOrigin, DatasetView } from '../../src/data/datasetSource';

// How Copy as Code turns the engine's reading of a CSV (copyAsCodeCsv.ts: sniff_csv) into pandas
// and polars options. The rows these give are checked against the engine's by
// test/integration/dataCopyAsCode.test.ts; this pins the mapping of the sniffer's formats.

const origin: DatasetOrigin = { kind: 'file', path: '/d/x.csv', format: 'csv' };
const columns: DatasetColumn[] = [
  { name: 'd', type: 'DATE', kind: 'date' },
  { name: 't', type: 'TIMESTAMP', kind: 'timestamp' },
  { name: 'z', type: 'TIMESTAMP WITH TIME ZONE', kind: 'timestamp' },
  { name: 'a_1', type: 'BIGINT', kind: 'integer' },
];
const view: DatasetView = {
  filters: [
    { column: 'd', op: 'range', min: '2020-01-01' },
    { column: 't', op: 'equals', value: '2020-01-05 03:04:05.25' },
    { column: 'z', op: 'range', max: '2020-01-05 02:04:05+01' },
  ],
  sort: [],
};

describe('Copy as Code reads a CSV with the engine\'s names, header, delimiter and date formats', () => {
  it('pandas: the sniffed formats, the engine\'s names, dates compared as pd.Timestamp', () => {
    const csv: CsvReading = { header: true, delimiter: ';', dateFormat: '%m/%d/%Y', timestampFormat: '%Y-%m-%d %H:%M:%S.%f' };
    const code = copyAsCode(origin, view, 'pandas', columns, csv);
    assert.match(code, /^df = pd\.read_csv\("\/d\/x\.csv", sep=";", header=0, names=\["d", "t", "z", "a_1"\], keep_default_na=False, na_values=\[""\], dtype=\{"d": "str", "t": "str", "z": "str", "a_1": "Int64"\}\)$/m);
    assert.match(code, /^df\["d"\] = pd\.to_datetime\(df\["d"\], format="%m\/%d\/%Y"\)$/m);
    assert.match(code, /^df\["t"\] = pd\.to_datetime\(df\["t"\], format="%Y-%m-%d %H:%M:%S\.%f"\)$/m);
    // A zone's timestamps are instants: the sniffer's TIMESTAMP format is not theirs.
    assert.match(code, /^df\["z"\] = pd\.to_datetime\(df\["z"\], utc=True\)$/m);
    assert.match(code, /\(df\["d"\] >= pd\.Timestamp\("2020-01-01"\)\)/);
    assert.match(code, /\(df\["t"\] == pd\.Timestamp\("2020-01-05 03:04:05\.25"\)\)/);
  });

  it('polars: a fraction as chrono reads it (%.f), literals as pl.date / pl.datetime with microseconds', () => {
    const csv: CsvReading = { header: false, dateFormat: '%d.%m.%Y', timestampFormat: '%Y-%m-%d %H:%M:%S.%f' };
    const code = copyAsCode(origin, view, 'polars', columns, csv);
    assert.match(code, /^df = pl\.read_csv\("\/d\/x\.csv", has_header=False, new_columns=\["d", "t", "z", "a_1"\]\)$/m);
    assert.match(code, /^df = df\.with_columns\(pl\.col\("d"\)\.str\.to_date\("%d\.%m\.%Y"\), pl\.col\("t"\)\.str\.to_datetime\("%Y-%m-%d %H:%M:%S%\.f"\), pl\.col\("z"\)\.str\.to_datetime\(time_zone="UTC"\)\)$/m);
    assert.match(code, /\(pl\.col\("d"\) >= pl\.date\(2020, 1, 1\)\)/);
    assert.match(code, /\(pl\.col\("t"\) == pl\.datetime\(2020, 1, 5, 3, 4, 5, 250000\)\)/);
    assert.match(code, /\(pl\.col\("z"\) <= pl\.lit\("2020-01-05 02:04:05\+01"\)\.str\.to_datetime\(time_zone="UTC"\)\)/);
  });

  it('a format with codes Python or chrono do not share with DuckDB, or none (ISO 8601), is left to their own parsing', () => {
    for (const csv of [{ header: true, dateFormat: '%d %B %Y', timestampFormat: '%Y-%m-%d %H:%M:%S.%g' }, { header: true }]) {
      const pandas = copyAsCode(origin, { filters: [], sort: [] }, 'pandas', columns, csv);
      assert.match(pandas, /^df\["d"\] = pd\.to_datetime\(df\["d"\]\)\ndf\["t"\] = pd\.to_datetime\(df\["t"\]\)$/m);
      assert.match(copyAsCode(origin, { filters: [], sort: [] }, 'polars', columns, csv), /pl\.col\("d"\)\.str\.to_date\(\), pl\.col\("t"\)\.str\.to_datetime\(\)/);
    }
  });

  it('without the engine\'s columns the code reads with pandas\' and polars\' own names; SQL reads with DuckDB\'s own sniffer', () => {
    const csv: CsvReading = { header: true, dateFormat: '%m/%d/%Y' };
    assert.match(copyAsCode(origin, view, 'pandas', [], csv), /^df = pd\.read_csv\("\/d\/x\.csv", keep_default_na=False, na_values=\[""\]\)$/m);
    assert.doesNotMatch(copyAsCode(origin, view, 'sql', columns), /%m/);
  });
});
