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
    // A folder outside holding a CSV, reached by a link to the folder and by a link to the file.
    mkdirSync(folder.path('outside'));
    writeFileSync(folder.path('outside/secret.csv'), 'k\nhunter2\n');
    symlinkSync(folder.path('outside'), folder.path('ws/out-link'));
    mkdirSync(folder.path('ws/globbed'));
    writeFileSync(folder.path('ws/globbed/inside.csv'), 'k\ninside\n');
    symlinkSync(folder.path('outside/secret.csv'), folder.path('ws/globbed/zz-link.csv'));
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
    assert.match(capped.summary, /read_parquet\('data\/\*\.parquet'\)/);
    assert.match(capped.content, /^3 rows \(capped at 3; the query returns more/);
    assert.match(capped.content, /\n500\n501\n502$/);
  });

  // Every route a review found to a file outside the workspace, each run against the real engine.
  // Without the parse-tree check each of these reads 'hunter2', /etc/passwd or lists /etc.
  const outside = () => folder.path('outside/secret.csv');
  const routes: [string, () => string][] = [
    ['an absolute path outside', () => "SELECT * FROM read_csv('/etc/passwd')"],
    ['a relative climb', () => "SELECT * FROM read_csv('../secret.csv')"],
    ['a symbolic link to a folder outside', () => "SELECT * FROM read_csv('etc-link/passwd')"],
    ['a symbolic link to a folder outside, by table name', () => "SELECT * FROM 'out-link/secret.csv'"],
    ['a symbolic link to a file outside', () => "SELECT * FROM 'data/leak.csv'"],
    ['a glob through a link to a folder out', () => "SELECT * FROM read_csv('out-lin*/*.csv')"],
    ['a glob matching a link to a file out', () => "SELECT * FROM read_csv('globbed/*.csv')"],
    ['a glob as a table name', () => "SELECT * FROM 'out-link/*.csv'"],
    ['a path built with ||', () => "SELECT * FROM read_csv('out-link/' || 'secret.csv')"],
    ['a path built with chr() and concat', () => `SELECT * FROM read_csv(concat(chr(47), 'etc', chr(47), 'passwd'))`],
    ['a path from a subquery column (lateral)', () => `SELECT * FROM (SELECT ${lit(outside())} AS p) t, read_csv(t.p)`],
    ['an E-string escape', () => `SELECT * FROM read_csv(E'\\x2Fetc\\x2Fpasswd')`],
    ['an E-string hiding a quote from a scanner', () => `SELECT E'\\'' AS a, * FROM read_csv('/etc/passwd') -- '`],
    ['a comment a scanner misreads', () => "SELECT * /* '*/ FROM read_csv('/etc/passwd') -- */"],
    ['a nested comment', () => "SELECT * FROM /* /* */ 'data/train.csv' */ read_csv('/etc/passwd')"],
    ['a dollar-quoted path', () => 'SELECT * FROM read_csv($$/etc/passwd$$)'],
    ['a quoted name', () => 'SELECT * FROM "/etc/passwd"'],
    ['read_text', () => "SELECT * FROM read_text('/etc/passwd')"],
    ['read_text on a workspace file', () => "SELECT * FROM read_text('data/train.csv')"],
    ['read_blob', () => "SELECT * FROM read_blob('out-link/secret.csv')"],
    ['glob()', () => "SELECT * FROM glob('/etc/*')"],
    ['query()', () => `SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')`],
    ['a table function in a subquery', () => "SELECT (SELECT content FROM read_text('/etc/passwd')) AS c"],
    ['a system view', () => 'SELECT * FROM duckdb_settings()'],
    ['a catalog table', () => 'SELECT * FROM information_schema.tables'],
    ['a CTE shadowing a path out of its scope', () => `SELECT * FROM (WITH "out-link/secret.csv" AS (SELECT 1 AS k) SELECT * FROM "out-link/secret.csv") a, "out-link/secret.csv" b`],
    ['a reader option naming a table to write', () => "SELECT * FROM read_csv('data/train.csv', store_rejects = true, rejects_table = 'x')"],
    ['read_duckdb (attach by function)', () => "SELECT * FROM read_duckdb('data/x.duckdb')"],
    ['a URL', () => "SELECT * FROM read_csv('https://example.com/x.csv')"],
  ];
  for (const [name, sql] of routes) {
    it(`query_dataset refuses ${name}`, async () => {
      await assert.rejects(query().run({ sql: sql() }, context, signal), (e: Error) => isToolInputError(e) && !/hunter2|root:/.test(e.message) && /outside the workspace|symbolic link|URL|cannot call|string literal|workspace files|no file|refused|only SELECT|real path/.test(e.message), sql());
    });
  }

  for (const [name, sql, why] of [
    ['COPY', "COPY (SELECT 1) TO 'data/out.csv'", /only SELECT statements/],
    ['two statements', 'SELECT 1; SELECT 2', /exactly one SELECT statement/],
    ['SET', 'SET enable_external_access = true', /only SELECT statements/],
    ['ATTACH', "ATTACH 'data/x.duckdb'", /only SELECT statements/],
    ['CREATE', 'CREATE TABLE t AS SELECT 1', /only SELECT statements/],
    ['a view', "CREATE VIEW v AS SELECT * FROM read_text('/etc/passwd')", /only SELECT statements/],
    ['a macro', "CREATE MACRO m(p) AS TABLE SELECT * FROM read_csv(p)", /only SELECT statements/],
    ['a view then a query', "CREATE TEMP VIEW v AS SELECT 1; SELECT * FROM v", /only SELECT statements|exactly one SELECT/],
    ['COPY FROM', "COPY t FROM '/etc/passwd'", /only SELECT statements/],
    ['ATTACH through a link', "ATTACH 'out-link/secret.csv' AS x", /only SELECT statements/],
    ['PIVOT over a file out', "PIVOT '/etc/passwd' ON a", /only SELECT statements/],
  ] as const) {
    it(`query_dataset refuses ${name} (read-only)`, async () => {
      await assert.rejects(query().run({ sql }, context, signal), (e: Error) => isToolInputError(e) && why.test(e.message));
    });
  }

  it('beneath the tool, the engine itself cannot open files outside the workspace', async () => {
    const roots = [folder.path('ws')];
    for (const sql of ["SELECT * FROM read_csv('/etc/passwd')", `SELECT * FROM read_csv(${lit(folder.path('secret.csv'))})`, "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM glob('/etc/*')"]) {
      await assert.rejects(engine.query(sql, { confinedTo: roots }), (e: Error) => /Permission Error|disabled by configuration|outside the workspace|cannot call/.test(e.message), sql);
    }
    assert.deepEqual((await engine.query(`SELECT count(*) FROM ${lit(folder.path('ws/data/train.csv'))}`, { confinedTo: roots })).rows, [[500]]);
    await assert.rejects(engine.query('SET enable_external_access = true', { confinedTo: roots }), /only SELECT/);
  });

  it('query_dataset still reads what is inside: globs, lists, CTEs, links within the workspace, E-strings, comments', async () => {
    symlinkSync(folder.path('ws/data/train.csv'), folder.path('ws/train-link.csv'));
    const sql = `/* a 'comment' */ WITH "data/train.csv" AS (SELECT 7 AS id) -- shadows the file
      SELECT (SELECT count(*) FROM read_csv('globbed/inside*.csv')) AS g, (SELECT count(*) FROM read_csv(['data/train.csv', 'train-link.csv'])) AS l,
             (SELECT max(id) FROM "data/train.csv") AS cte, (SELECT count(*) FROM 'train-link.csv') AS link, E'a\\tb' AS e, (SELECT count(*) FROM 'data/*.parquet') AS pq`;
    const result = await query().run({ sql }, context, signal);
    assert.equal(result.content.split('\n')[2], '1\t1000\t7\t500\t"a\\tb"\t100');
  });

  it('strings and names that are not files stay as written', async () => {
    const result = await query().run({ sql: `SELECT '2024/01/02' AS d, 'x@y.com' AS mail, "sepal.length" FROM (SELECT 1 AS "sepal.length")` }, context, signal);
    assert.equal(result.content, '1 row\nd (VARCHAR)\tmail (VARCHAR)\tsepal.length (INTEGER)\n"2024/01/02"\t"x@y.com"\t1');
  });

  it('an error in the SQL comes back to the model in words it can act on', async () => {
    await assert.rejects(query().run({ sql: "SELECT nope FROM 'data/train.csv'" }, context, signal), (e: Error) => isToolInputError(e) && /Referenced column "nope" not found/.test(e.message) && !/LINE 1/.test(e.message));
  });
});
