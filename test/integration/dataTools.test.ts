import * as assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { isToolInputError, type ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { dataTools, describeDatasetTool, queryDatasetTool } from '../../src/data/dataTools';
import { DataEngine } from '../../src/data/engine/engineClient';
import { DataFolder, lit } from '../support/dataFixtures';

// The agent's describe_dataset and query_dataset on a real workspace folder and the real engine:
// answers, the row cap, and confinement: the tool's own path check (symbolic links included) and,
// beneath it, the engine's confined database that cannot open /etc/passwd even when asked directly.

describe('Agent data tools: describe_dataset and query_dataset', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let context: ToolContext;
  const signal = new AbortController().signal;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    mkdirSync(folder.path('ws/data'), { recursive: true });
    await folder.duckdb(`COPY (SELECT i AS id, ['a', 'b'][1 + i % 2] AS label, i * 0.5 AS x FROM range(500) t(i)) TO ${lit(folder.path('ws/data/train.csv'))} (HEADER)`);
    await folder.duckdb(`COPY (SELECT i AS id, ['a', 'b'][1 + i % 2] AS label FROM range(500, 600) t(i)) TO ${lit(folder.path('ws/data/test.parquet'))} (FORMAT parquet)`);
    writeFileSync(folder.path('secret.csv'), 'k\nsecret-value\n');
    symlinkSync('/etc', folder.path('ws/etc-link'));
    symlinkSync(folder.path('secret.csv'), folder.path('ws/data/leak.csv'));
    context = { files: new WorkspaceFiles([{ name: 'ws', path: folder.path('ws') }]), applyChange: () => Promise.resolve() };
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  const describeDataset = () => describeDatasetTool(() => engine);
  const query = () => queryDatasetTool(() => engine);

  it('are two read tools', () => {
    assert.deepEqual(dataTools({ engine: () => engine }).map((t) => [t.name, t.risk]), [['describe_dataset', 'read'], ['query_dataset', 'read']]);
  });

  it('describe_dataset: rows, schema, per-column summaries and the first rows, within the budget', async () => {
    const result = await describeDataset().run({ path: 'data/train.csv', max_tokens: 1000 }, context, signal);
    assert.match(result.content, /^data\/train\.csv: 500 rows × 3 columns/);
    assert.match(result.content, /- id: BIGINT — 0 null, 500 distinct, min 0, max 499, mean 249\.5/);
    assert.match(result.content, /- label: VARCHAR — 0 null, 2 distinct, min "a", max "b", top "a" \(250\), "b" \(250\)/);
    assert.match(result.content, /first 5 rows:\nid\tlabel\tx\n0\t"a"\t0\n/);
    assert.ok(result.content.length <= 4000);
    assert.equal(result.summary, 'data/train.csv: 500 rows × 3 columns');
  });

  it('query_dataset: SQL over workspace files by relative path and glob, rows capped', async () => {
    const counts = await query().run({ sql: "SELECT label, count(*) AS n FROM 'data/train.csv' GROUP BY 1 ORDER BY 1" }, context, signal);
    assert.equal(counts.content, '2 rows\nlabel (VARCHAR)\tn (BIGINT)\n"a"\t250\n"b"\t250');
    assert.match(counts.summary, /^2 rows: SELECT label, count\(\*\)/);
    const capped = await query().run({ sql: "SELECT id FROM read_parquet('data/*.parquet') ORDER BY id", max_rows: 3 }, context, signal);
    assert.match(capped.content, /^3 rows \(capped at 3; the query returns more/);
    assert.match(capped.content, /\n500\n501\n502$/);
  });

  for (const [name, sql] of [
    ['an absolute path outside', "SELECT * FROM read_csv('/etc/passwd')"],
    ['a relative climb', "SELECT * FROM read_csv('../secret.csv')"],
    ['a symbolic link to a folder outside', "SELECT * FROM read_csv('etc-link/passwd')"],
    ['a symbolic link to a file outside', "SELECT * FROM 'data/leak.csv'"],
    ['a quoted name', 'SELECT * FROM "/etc/passwd"'],
    ['read_text', "SELECT * FROM read_text('/etc/passwd')"],
    ['a URL', "SELECT * FROM read_csv('https://example.com/x.csv')"],
  ] as const) {
    it(`query_dataset refuses ${name}`, async () => {
      await assert.rejects(query().run({ sql }, context, signal), (e: Error) => isToolInputError(e) && /outside the workspace|symbolic link|URL/.test(e.message));
    });
  }

  for (const [name, sql, why] of [
    ['COPY', "COPY (SELECT 1) TO 'data/out.csv'", /only SELECT statements/],
    ['two statements', 'SELECT 1; SELECT 2', /exactly one SELECT statement/],
    ['SET', 'SET enable_external_access = true', /only SELECT statements/],
    ['ATTACH', "ATTACH 'data/x.duckdb'", /only SELECT statements/],
    ['CREATE', 'CREATE TABLE t AS SELECT 1', /only SELECT statements/],
  ] as const) {
    it(`query_dataset refuses ${name} (read-only)`, async () => {
      await assert.rejects(query().run({ sql }, context, signal), (e: Error) => isToolInputError(e) && why.test(e.message));
    });
  }

  it('beneath the tool, the engine itself cannot open files outside the workspace', async () => {
    const roots = [folder.path('ws')];
    for (const sql of ["SELECT * FROM read_csv('/etc/passwd')", `SELECT * FROM read_csv(${lit(folder.path('secret.csv'))})`, "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM glob('/etc/*')"]) {
      await assert.rejects(engine.query(sql, { confinedTo: roots }), (e: Error) => /Permission Error|disabled by configuration/.test(e.message), sql);
    }
    assert.deepEqual((await engine.query(`SELECT count(*) FROM ${lit(folder.path('ws/data/train.csv'))}`, { confinedTo: roots })).rows, [[500]]);
    await assert.rejects(engine.query('SET enable_external_access = true', { confinedTo: roots }), /only SELECT/);
  });

  it('strings and names that are not files stay as written', async () => {
    const result = await query().run({ sql: `SELECT '2024/01/02' AS d, 'x@y.com' AS mail, "sepal.length" FROM (SELECT 1 AS "sepal.length")` }, context, signal);
    assert.equal(result.content, '1 row\nd (VARCHAR)\tmail (VARCHAR)\tsepal.length (INTEGER)\n"2024/01/02"\t"x@y.com"\t1');
  });

  it('an error in the SQL comes back to the model in words it can act on', async () => {
    await assert.rejects(query().run({ sql: "SELECT nope FROM 'data/train.csv'" }, context, signal), (e: Error) => isToolInputError(e) && /Referenced column "nope" not found/.test(e.message) && !/LINE 1/.test(e.message));
  });
});
