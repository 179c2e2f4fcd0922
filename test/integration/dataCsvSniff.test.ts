import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { sniffedFrom, sniffSql } from '../../src/data/engine/csvSniff';
import { DataEngine } from '../../src/data/engine/engineClient';
import { directScan, type CsvOptions } from '../../src/data/engine/fileRelation';
import { SqlParams } from '../../src/data/engine/sqlText';
import { DataFolder } from '../support/dataFixtures';

// A big CSV is sniffed once and its reads in place take the sniff's dialect and columns
// (csvSniff.ts): each file here must read the same with them as with DuckDB's own sniff on every
// read: the same columns and types, the same rows, the same failure for a value past the sniff.

describe('Dataset engine: a CSV read with its sniffed dialect reads as a sniffing read does', function () {
  this.timeout(300_000);
  let folder: DataFolder;
  let engine: DataEngine;
  const signal = (): AbortSignal => new AbortController().signal;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512 });
    // pandas: quoted delimiters, quotes and line breaks in fields, US dates, times with a zone, a
    // semicolon file with decimal dates, a headerless file, CRLF and a BOM.
    folder.python(`
import pandas as pd
df = pd.DataFrame({
  'name': ['a, "quoted"', 'line\\nbreak', "it's", 'plain', None],
  'when': ['12/31/2019', '01/02/2020', '02/29/2020', '07/04/2021', '11/11/2022'],
  'at': pd.to_datetime(['2020-01-01 10:00:00+02:00', '2020-06-01 00:00:00+02:00', '2021-01-01 12:30:00+02:00', '2022-01-01 23:59:59+02:00', '2023-03-03 03:03:03+02:00']),
  'x': [1.5, -2.0, None, 1e10, 3.25],
  'n': [1, 2, 3, 4, 5],
  'flag': [True, False, True, True, False],
})
df.to_csv('pandas.csv', index=False)
df.to_csv('semicolon.csv', index=False, sep=';', date_format='%d.%m.%Y')
df.to_csv('headerless.csv', index=False, header=False)
df.to_csv('crlf_bom.csv', index=False, lineterminator='\\r\\n', encoding='utf-8-sig')
df.to_csv('tabs.tsv', index=False, sep='\\t')
`);
    // A late value past the sniffer's 20,480 rows; a Latin-1 file; single quotes as the quote.
    writeFileSync(folder.path('late.csv'), `id,v\n${Array.from({ length: 30_000 }, (_, i) => `${i},${i === 25_000 ? 'abc' : i}`).join('\n')}\n`);
    writeFileSync(folder.path('latin1.csv'), Buffer.from('city,temp\nK\xf6ln,12\nM\xfcnchen,9\n', 'latin1'));
    writeFileSync(folder.path('squote.csv'), "a,b\n'x, y',1\n'z',2\n");
    // ISO dates (read by DuckDB's own date cast, not the format the sniffer names), unpadded ones, ISO timestamps.
    writeFileSync(folder.path('iso.csv'), `d,t,u\n${Array.from({ length: 3_000 }, (_, i) => `2020-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')},2021-03-04 05:06:${String(i % 60).padStart(2, '0')}.${i % 1000},2020-${1 + (i % 12)}-${1 + (i % 28)}`).join('\n')}\n`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  async function read(file: string, csv: CsvOptions): Promise<{ columns: string[]; rows: unknown[][] } | { error: string }> {
    const params = new SqlParams();
    const format = file.endsWith('.tsv') ? 'tsv' : 'csv';
    try {
      const result = await engine.query(`SELECT * FROM ${directScan(format, folder.path(file), params, csv)}`, { params: params.values, maxRows: 100_000 }, signal());
      return { columns: result.columns.map((c) => `${c.name} ${c.type}`), rows: result.rows.map((r) => [...r]) };
    } catch (error) {
      // Up to DuckDB's advice, what lateValues.ts reads (the options listed after it say which were set by us).
      return { error: String((error as Error).message).split('\n\n')[0] ?? '' };
    }
  }

  for (const [file, csv] of [
    ['pandas.csv', {}],
    ['semicolon.csv', {}],
    ['headerless.csv', {}],
    ['crlf_bom.csv', {}],
    ['tabs.tsv', {}],
    ['late.csv', {}],
    ['late.csv', { textColumns: ['v'] }],
    ['latin1.csv', { encoding: 'latin-1' }],
    ['squote.csv', {}],
    ['iso.csv', {}],
  ] as [string, CsvOptions][]) {
    it(`${file}${csv.textColumns ? ' (v as text)' : ''}${csv.encoding ? ` (${csv.encoding})` : ''}`, async () => {
      const params = new SqlParams();
      const format = file.endsWith('.tsv') ? 'tsv' : 'csv';
      const sniffRow = (await engine.query(sniffSql(directScan(format, folder.path(file), params, { ...csv, textColumns: undefined })), { params: params.values, maxRows: 1 }, signal())).rows[0];
      const sniffed = sniffedFrom(sniffRow) ?? assert.fail(`sniff_csv said what this cannot write back: ${JSON.stringify(sniffRow)}`);
      const auto = await read(file, csv);
      const once = await read(file, { ...csv, sniffed });
      assert.deepEqual(once, auto);
      if (file === 'late.csv' && !csv.textColumns) assert.match('error' in auto ? auto.error : '', /Could not convert string "abc"/, 'the late value fails both reads alike');
      else assert.ok('rows' in auto && auto.rows.length >= 2, JSON.stringify(auto));
    });
  }

  it('what sniff_csv says that cannot be written back leaves the reads to sniff', () => {
    const row = [',', '"', '"', '\\n', '(empty)', 0, true, JSON.stringify([{ name: 'a', type: 'BIGINT' }]), null, null];
    assert.ok(sniffedFrom(row));
    assert.equal(sniffedFrom([...row.slice(0, 3), '(empty)', ...row.slice(4)]), undefined, 'no line break known');
    assert.equal(sniffedFrom([...row.slice(0, 5), 2, ...row.slice(6)]), undefined, 'rows skipped');
    assert.equal(sniffedFrom([...row.slice(0, 7), JSON.stringify([{ name: 'a', type: "BIGINT'); DROP" }]), null, null]), undefined, 'a type not as DuckDB names them');
    assert.equal(sniffedFrom([...row.slice(0, 7), 'not json', null, null]), undefined);
  });
});
