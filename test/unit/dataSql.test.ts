import * as assert from 'node:assert/strict';
import { copyAsCode } from '../../src/data/copyAsCode';
import { certainTop } from '../../src/data/engine/columnSummary';
import type { DatasetColumn } from '../../src/data/datasetSource';
import { cleanEngineMessage } from '../../src/data/engine/engineErrors';
import { formatOfPath } from '../../src/data/engine/fileRelation';
import { kindOfType, quoteIdent, SqlParams } from '../../src/data/engine/sqlText';
import { orderSql, whereSql, type ViewRelation } from '../../src/data/engine/viewSql';

// The SQL the engine and Copy as Code write: names quoted, values bound or escaped, never pasted.

const columns: DatasetColumn[] = [
  { name: 'a"; DROP TABLE t; --', type: 'VARCHAR', kind: 'string' },
  { name: 'day', type: 'DATE', kind: 'date' },
  { name: 'n', type: 'BIGINT', kind: 'integer' },
];
const rel: ViewRelation = { from: '"t_1"', order: 'rowid', columns, label: 'x.csv' };

describe('Dataset SQL', () => {
  it('quotes identifiers and binds every value', () => {
    assert.equal(quoteIdent('a"b'), '"a""b"');
    const params = new SqlParams();
    const where = whereSql(rel, { filters: [
      { column: 'a"; DROP TABLE t; --', op: 'equals', value: "x' OR 1=1 --" },
      { column: 'day', op: 'range', min: '2024-01-01' },
      { column: 'n', op: 'topK', k: 3.7 },
      { column: 'a"; DROP TABLE t; --', op: 'contains', text: "'; --" },
    ] }, params);
    assert.equal(where, ' WHERE ("a""; DROP TABLE t; --" = $1) AND ("day" >= CAST($2 AS DATE)) AND ("n" IN (SELECT "n" FROM "t_1" WHERE "n" IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 ASC LIMIT 3)) AND (contains(lower(CAST("a""; DROP TABLE t; --" AS VARCHAR)), lower($3)))');
    assert.deepEqual(params.values, ["x' OR 1=1 --", '2024-01-01', "'; --"]);
    assert.equal(orderSql(rel, { sort: [{ column: 'n', descending: true }, { column: 'day', descending: false }] }), ' ORDER BY "n" DESC NULLS LAST, "day" ASC NULLS LAST, rowid ASC');
    assert.equal(orderSql(rel, { sort: [] }), '');
    assert.throws(() => whereSql(rel, { filters: [{ column: 'missing', op: 'isNull' }] }, new SqlParams()), /x\.csv has no column "missing"/);
  });

  it('names kinds for DuckDB types', () => {
    const kinds = ['BIGINT', 'UHUGEINT', 'DOUBLE', 'DECIMAL(10,2)', 'BOOLEAN', 'VARCHAR', 'DATE', 'TIMESTAMP WITH TIME ZONE', 'TIME', 'INTERVAL', 'BLOB', 'INTEGER[]', 'STRUCT("x" INTEGER)', 'MAP(VARCHAR, INTEGER)', 'INTEGER[3]', 'GEOMETRY'].map(kindOfType);
    assert.deepEqual(kinds, ['integer', 'integer', 'float', 'decimal', 'boolean', 'string', 'date', 'timestamp', 'time', 'interval', 'binary', 'nested', 'nested', 'nested', 'nested', 'other']);
    assert.deepEqual(['a.csv', 'A.CSV.GZ', 'b.tsv', 'c.parquet', 'd.jsonl', 'e.ndjson', 'f.feather', 'g.arrow', 'h.txt'].map(formatOfPath), ['csv', 'csv', 'tsv', 'parquet', 'jsonl', 'jsonl', 'arrow', 'arrow', undefined]);
  });

  it("cuts DuckDB's messages to what says where: no SQL echo, no option dump, no fix list", () => {
    const raw = 'Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 3,4,5\nExpected Number of Columns: 2 Found: 3\nPossible fixes:\n* Disable the parser\'s strict mode\n\n  file = /x.csv\n  delimiter = ,\n\nLINE 1: SELECT * FROM read_csv($1)\n              ^';
    assert.equal(cleanEngineMessage(raw), 'CSV Error on Line: 3 the line reads: 3,4,5 Expected Number of Columns: 2 Found: 3');
  });

  it('Copy as Code writes names and values as literals of each language', () => {
    const view = { filters: [{ column: 'a"; DROP TABLE t; --', op: 'equals' as const, value: "it's \"q\"\n" }], sort: [{ column: 'n', descending: true }] };
    const origin = { kind: 'file' as const, path: "/data/o'k \"x\".csv", format: 'csv' as const };
    const sql = copyAsCode(origin, view, 'sql', columns);
    assert.equal(sql, `WITH src AS (SELECT *, row_number() OVER () AS __row FROM read_csv('/data/o''k "x".csv', auto_type_candidates = ['BOOLEAN', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMPTZ', 'VARCHAR']))\nSELECT * EXCLUDE (__row) FROM src\nWHERE ("a""; DROP TABLE t; --" = 'it''s "q"\n')\nORDER BY "n" DESC NULLS LAST, __row;\n`);
    const pandas = copyAsCode(origin, view, 'pandas');
    assert.match(pandas, /^df = pd\.read_csv\("\/data\/o'k \\"x\\"\.csv", keep_default_na=False, na_values=\[""\]\)$/m);
    assert.match(pandas, /^df = df\[\(df\["a\\"; DROP TABLE t; --"\] == "it's \\"q\\"\\n"\)\]$/m);
    assert.match(copyAsCode({ kind: 'kernel', variable: 'arr', library: 'numpy' }, { filters: [{ column: '0', op: 'isNull' }], sort: [] }, 'pandas'), /^df = pd\.DataFrame\(arr\)\ndf = df\[df\[0\]\.isna\(\)\]$/m);
    assert.match(copyAsCode({ kind: 'kernel', variable: 'arr', library: 'numpy' }, { filters: [], sort: [{ column: '1', descending: false }] }, 'polars'), /df\.sort\(\["column_1"\]/);
  });
});

describe('Dataset summaries: sketched top values counted exactly (columnSummary.ts certainTop)', () => {
  const top = (...counts: number[]): { count: number }[] => counts.map((count) => ({ count }));

  it('are certain when they cover every row, or when the rows left could not reach the last one listed', () => {
    assert.equal(certainTop(top(60, 40), 100), true, 'every value listed');
    assert.equal(certainTop(top(10, 10, 10, 10, 10, 10, 10, 10, 10, 9), 100), true, '1 row left, fewer than the last count');
    assert.equal(certainTop([], 0), true, 'nothing but nulls');
  });

  it('are approximate when the rows left could hold a value as frequent as the last one listed (ties included)', () => {
    assert.equal(certainTop(top(10, 10, 10, 10, 10, 10, 10, 10, 10, 10), 110), false, 'a tie could come first by value');
    assert.equal(certainTop(top(200, 1, 1), 1_000), false, 'fewer than ten listed, and rows left');
    assert.equal(certainTop(top(500, 1, 1, 1, 1, 1, 1, 1, 1, 1), 1_000), false);
  });
});
