import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { compileGlob } from '../../src/data/engine/confinedGlob';
import { confineQuery, ConfinementError } from '../../src/data/engine/confinedSql';
import { DataFolder } from '../support/dataFixtures';

// The checker of the agent's SQL (confinedSql.ts) against DuckDB's own parser and binder, in process:
// CTE scoping as DuckDB binds it (and every CTE renamed, so the check and the engine agree on what is
// a CTE), modifiers inside table-function calls, hard links, pipes, and patterns that would stall a
// backtracking matcher. The routes through the whole tool and engine are in dataAttack.test.ts.

describe('confinedSql: the agent\'s SQL judged on DuckDB\'s parse tree', function () {
  this.timeout(60_000);
  let folder: DataFolder;
  let connection: DuckDBConnection;
  let root: string;
  const scalar = async (sql: string, param: string): Promise<string> => String((await connection.runAndReadAll(sql, [param])).getRows()[0]?.[0] ?? '');
  const confine = (sql: string, oneLinkOnly = false): Promise<string> => confineQuery(sql, [root], scalar, { oneLinkOnly });
  /** Confines and runs the SQL; the rows as JSON. */
  const rows = async (sql: string): Promise<string> => JSON.stringify((await connection.runAndReadAll(await confine(sql))).getRows(), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  const refused = async (sql: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(confine(sql), (e: Error) => e instanceof ConfinementError && pattern.test(e.message), sql);
  };

  before(async () => {
    folder = new DataFolder();
    mkdirSync(folder.path('ws/data'), { recursive: true });
    root = realpathSync(folder.path('ws'));
    writeFileSync(folder.path('ws/data/train.csv'), 'id,label\n1,a\n2,b\n');
    writeFileSync(folder.path('ws/pg_settings.csv'), 'x\n1\n');
    mkdirSync(folder.path('outside'));
    writeFileSync(folder.path('outside/secret.csv'), 'k\nhunter2\n');
    connection = await (await DuckDBInstance.create(':memory:')).connect();
  });
  after(() => {
    connection?.closeSync();
    folder?.close();
  });

  describe('CTEs are scoped as DuckDB binds them, and renamed', () => {
    it('a CTE is visible in later CTEs and the body, and runs under a fresh name', async () => {
      const sql = "WITH a AS (SELECT id FROM 'data/train.csv'), b AS (SELECT a.id * 10 AS x FROM a) SELECT sum(x) FROM b";
      const text = await confine(sql);
      assert.match(text, /__cte_[0-9a-f]{16}_1/);
      assert.doesNotMatch(text, /\bWITH a AS|FROM a\b|FROM b\b/i, text);
      assert.equal(await rows(sql), '[[30]]');
    });

    it('a CTE used before it is defined, or in its own non-recursive body, is a file name (and refused)', async () => {
      await refused('WITH a AS (FROM pg_settings), pg_settings AS (SELECT 1) FROM a', /'pg_settings' is not a CTE in scope/);
      await refused('WITH RECURSIVE a AS (FROM duckdb_tables), duckdb_tables AS (SELECT 1) FROM a', /'duckdb_tables' is not a CTE in scope/);
      await refused(`WITH "${folder.path('outside/secret.csv')}" AS (FROM "${folder.path('outside/secret.csv')}") SELECT 1`, /outside the workspace/);
      // In a nested subquery of the earlier CTE too.
      await refused('WITH a AS (SELECT * FROM (SELECT * FROM (FROM pg_settings))), pg_settings AS (SELECT 1) FROM a', /not a CTE in scope/);
    });

    it('a name DuckDB reads as a file is read as that file, checked (pg_settings.csv, not the view)', async () => {
      assert.equal(await rows("WITH a AS (FROM 'pg_settings.csv') SELECT x FROM a"), '[[1]]');
    });

    it('a recursive CTE sees itself; its self-reference keeps its name for columns', async () => {
      assert.equal(await rows('WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT t.n + 1 FROM t WHERE t.n < 4) SELECT sum(n) FROM t'), '[[10]]');
      // A recursive CTE still cannot see a later one.
      await refused('WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL (FROM pg_settings)), pg_settings AS (SELECT 1) FROM t', /not a CTE in scope/);
    });

    it('nested WITHs: an inner CTE shadows an outer one, and an inner body sees the outer one of its own name', async () => {
      assert.equal(await rows('WITH a AS (SELECT 1 AS x) SELECT * FROM (WITH a AS (SELECT 2 AS x) FROM a)'), '[[2]]');
      assert.equal(await rows('WITH a AS (SELECT 1 AS x) SELECT * FROM (WITH a AS (SELECT x + 10 AS x FROM a) FROM a)'), '[[11]]');
      assert.equal(await rows('WITH a AS (SELECT 1 AS x), c AS (WITH b AS (FROM a) FROM b) FROM c'), '[[1]]');
      assert.equal(await rows('WITH a AS (SELECT 1 AS x) SELECT * FROM a WHERE x IN (WITH a AS (SELECT 5 AS x) SELECT x FROM a)'), '[]');
    });

    it('names compare with ASCII case folding only, as DuckDB does (U+212A KELVIN SIGN is not k)', async () => {
      assert.equal(await rows('WITH A AS (SELECT 1 AS x) FROM a'), '[[1]]');
      symlinkSync(folder.path('outside/secret.csv'), folder.path('ws/data/k.csv'));
      await refused(`WITH "data/\u212A.csv" AS (SELECT 7) FROM "data/k.csv"`, /symbolic link/);
    });

    it('lateral joins and set operations see the CTEs of their query', async () => {
      assert.equal(await rows('WITH a AS (SELECT 1 AS x) SELECT * FROM (SELECT * FROM a) t, LATERAL (SELECT t.x + a.x AS y FROM a) u'), '[[1,2]]');
      assert.equal(await rows("WITH a AS (SELECT id FROM 'data/train.csv') SELECT * FROM a UNION ALL SELECT * FROM a ORDER BY 1"), '[[1],[1],[2],[2]]');
      await refused('WITH a AS (SELECT 1 AS x) SELECT * FROM a, LATERAL (SELECT * FROM pg_settings) s', /not a CTE in scope/);
    });
  });

  it('every other table name becomes the reader DuckDB would use, over the real path', async () => {
    const text = await confine("SELECT train.label FROM 'data/train.csv' WHERE id = 2");
    assert.match(text, new RegExp(`read_csv_auto\\('${root.replaceAll('/', '\\/')}\\/data\\/train\\.csv'\\) AS train`), text);
    assert.equal(await rows("SELECT train.label FROM 'data/train.csv' WHERE id = 2"), '[["b"]]');
    await refused("SELECT * FROM 'data/notes.txt'", /cannot be read as a file by name/);
  });

  it('whole floating-point constants survive the round trip through DuckDB\'s deserializer (1e9 was refused as a uint)', async () => {
    // (DuckDB writes a DOUBLE back as 1000000000.0, which it then reads as a DECIMAL: its own round trip's limit.)
    assert.equal(await rows("SELECT CAST(1e9 * 2 AS BIGINT) AS x, CAST(-3e0 AS INTEGER) AS y, 1e21 > 1e20 AS z, 'a__double_x' AS s"), '[[2000000000,-3,true,"a__double_x"]]');
  });

  it('refuses ORDER BY and DISTINCT inside a table function\'s call (their expressions went unchecked)', async () => {
    // (FILTER is refused too; DuckDB's grammar takes no FILTER clause on a call in FROM.)
    await refused("SELECT * FROM read_csv('data/train.csv' ORDER BY (SELECT setting FROM pg_settings LIMIT 1))", /ORDER BY inside its call/);
    await refused("SELECT * FROM read_csv(DISTINCT 'data/train.csv')", /DISTINCT inside its call/);
    await refused('SELECT * FROM range(3 ORDER BY (SELECT count(*) FROM duckdb_tables))', /ORDER BY inside its call/);
    assert.equal(await rows("SELECT a FROM read_csv('data/train.csv') t(a, b) ORDER BY a"), '[[1],[2]]');
  });

  it('refuses a file with other hard links for the agent (oneLinkOnly), reads it for the user', async () => {
    linkSync(folder.path('outside/secret.csv'), folder.path('ws/data/hard.csv'));
    await assert.rejects(confine("SELECT * FROM 'data/hard.csv'", true), /'data\/hard\.csv' has other hard links; the agent reads only files with one link/);
    await assert.rejects(confine("SELECT * FROM read_csv(['data/train.csv', 'data/hard.csv'])", true), /other hard links/);
    await assert.rejects(confine("SELECT * FROM read_csv('data/h*.csv')", true), /other hard links/);
    assert.match(await confine("SELECT * FROM 'data/hard.csv'"), /hard\.csv/);
    assert.match(await confine("SELECT * FROM 'data/train.csv'", true), /train\.csv/);
  });

  it('says a pipe is not a regular file (not "a folder")', async function () {
    if (process.platform === 'win32') this.skip();
    execFileSync('mkfifo', [folder.path('ws/data/pipe.csv')]);
    await refused("SELECT * FROM 'data/pipe.csv'", /'data\/pipe\.csv' is not a regular file/);
    await refused("SELECT * FROM read_csv('data/pipe.csv')", /is not a regular file/);
  });

  describe('patterns', () => {
    it('refuse more than 8 wildcards or over 1000 characters, saying so', async () => {
      await refused(`SELECT * FROM read_csv('data/${'*?'.repeat(9)}.csv')`, /has 9 wildcards \('\*' or '\*\*'\); at most 8/);
      await refused(`SELECT * FROM read_csv('data/*${'x'.repeat(1001)}')`, /longer than 1000 characters/);
      await refused("SELECT * FROM read_csv('data/{a,{b,c}}.csv')", /nested/);
    });

    it('match in linear time: no name stalls the engine (a backtracking regex took seconds)', () => {
      const name = 'a'.repeat(255);
      for (const pattern of [`${'*a'.repeat(8)}!`, `${'*?'.repeat(8)}!`, `**/${'*a'.repeat(7)}!`]) {
        const match = compileGlob(pattern);
        const started = performance.now();
        assert.equal(match(`x/y/${name}`), false);
        assert.equal(match(name), false);
        assert.ok(performance.now() - started < 200, `${pattern}: ${Math.round(performance.now() - started)} ms`);
      }
    });

    it('match as before: * ? [] {} **, no leading dots', () => {
      const cases: [string, string, boolean][] = [
        ['*.csv', 'train.csv', true],
        ['*.csv', '.hidden.csv', false],
        ['.*.csv', '.hidden.csv', true],
        ['*.csv', 'sub/train.csv', false],
        ['**/*.csv', 'train.csv', true],
        ['**/*.csv', 'a/b/c/train.csv', true],
        ['**/*.csv', 'a/.git/train.csv', false],
        ['a/**/b/*.parquet', 'a/b/x.parquet', true],
        ['a/**/b/*.parquet', 'a/1/2/b/x.parquet', true],
        ['a/**/b/*.parquet', 'a/1/2/c/x.parquet', false],
        ['part-?.csv', 'part-1.csv', true],
        ['part-?.csv', 'part-10.csv', false],
        ['part-[0-4].csv', 'part-3.csv', true],
        ['part-[!0-4].csv', 'part-3.csv', false],
        ['part-[!0-4].csv', 'part-7.csv', true],
        ['{train,test}.csv', 'test.csv', true],
        ['{train,test}.csv', 'val.csv', false],
        ['*_v*_*.csv', 'exp_v2_final.csv', true],
        ['*_v*_*.csv', 'exp_v2.csv', false],
      ];
      for (const [pattern, path, expected] of cases) assert.equal(compileGlob(pattern)(path), expected, `${pattern} ~ ${path}`);
    });
  });

  // A final adversarial pass over the new checker: each refused by the check itself (not by DuckDB later).
  describe('hostile queries', () => {
    const hostile: [string, string, RegExp][] = [
      ['a recursive CTE reading a catalog view in its recursive part', 'WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT 1 FROM t, pg_settings WHERE n < 2) FROM t', /'pg_settings' is not a CTE in scope/],
      ['a nested WITH whose CTE is named like an outer file', "WITH x AS (SELECT 1) SELECT * FROM (WITH \"data/train.csv\" AS (FROM duckdb_settings()) FROM 'data/train.csv')", /duckdb_settings\(\)/],
      ['a lateral join to a reader over a column', "SELECT * FROM (SELECT 'data/train.csv' AS p) t, LATERAL (SELECT * FROM read_csv(t.p))", /string literal/],
      ['a table macro (histogram over a table name)', "SELECT * FROM histogram('data/train.csv', id)", /cannot call histogram\(\)/],
      ['a replacement scan of a file outside by relative climb', "SELECT * FROM '../outside/secret.csv'", /outside the workspace/],
      ['a replacement scan of a glob through a link out', "SELECT * FROM 'data/k*.csv'", /symbolic link/],
      ['COPY to a file', "COPY (SELECT 1) TO 'data/out.csv'", /only SELECT/i],
      ['ATTACH a database', "ATTACH 'data/x.db' AS x", /only SELECT/i],
      ['PRAGMA', "PRAGMA table_info('pg_settings')", /only SELECT/i],
      ['SET a setting', 'SET enable_external_access = true', /only SELECT/i],
      ['INSTALL an extension', 'INSTALL httpfs', /only SELECT/i],
      ['LOAD an extension', 'LOAD httpfs', /only SELECT/i],
      ['two statements', "SELECT 1; SELECT * FROM read_text('/etc/passwd')", /exactly one SELECT/],
      ['query_table() over a catalog view', "SELECT * FROM query_table('pg_settings')", /cannot call query_table\(\)/],
      ['query() with SQL text', "SELECT * FROM query('FROM pg_settings')", /cannot call query\(\)/],
      ['a catalog-qualified view', 'SELECT * FROM main.pg_settings', /'main\.pg_settings' is not one/],
      ['a schema-qualified CTE name', 'WITH a AS (SELECT 1) SELECT * FROM main.a', /'main\.a' is not one/],
      ['a reader from another schema', "SELECT * FROM main.read_csv('data/train.csv')", /from another schema/],
      ['a string cast used as a table (a path built from a variable)', "SELECT * FROM read_csv(getvariable('p')::VARCHAR)", /string literal/],
      ['a path from a scalar subquery', "SELECT * FROM read_csv((SELECT 'data/train.csv'))", /string literal/],
      ['a reader option naming a rejects table', "SELECT * FROM read_csv('data/train.csv', rejects_table = 'pg_settings')", /rejects_table is refused/],
      ['an option built by an expression', "SELECT * FROM read_csv('data/train.csv', columns = (SELECT {'a': 'VARCHAR'}))", /must be a literal/],
      ['DESCRIBE a catalog view', 'DESCRIBE pg_settings', /'pg_settings' is not a CTE in scope/],
      ['SUMMARIZE through a CTE used before it is defined', 'SUMMARIZE WITH a AS (FROM pg_settings), pg_settings AS (SELECT 1) FROM a', /not a CTE in scope/],
      ['PIVOT over a catalog view', "SELECT * FROM (PIVOT pg_settings ON name IN ('a') USING first(setting))", /not a CTE in scope/],
      ['the PIVOT statement', 'PIVOT pg_settings ON name USING first(setting)', /only SELECT/i],
      ['current_setting() (the temp folder, the allowed folders)', "SELECT current_setting('temp_directory')", /cannot call current_setting\(\)/],
      ['current_setting() under another schema and case', "SELECT pg_catalog.CURRENT_SETTING('allowed_directories')", /cannot call current_setting\(\)/i],
      ['a USING KEY recursive CTE reading recurring.<name>', 'WITH RECURSIVE t(x) USING KEY (x) AS (SELECT 1 UNION SELECT x + 1 FROM recurring.t WHERE x < 3) FROM t', /'recurring\.t' is not one/],
      ['time travel on a CTE (AT)', 'WITH a AS (SELECT 1) SELECT * FROM a AT (VERSION => 1)', /'a' is not one/],
      ['a recursive CTE name on a non-recursive WITH', 'WITH t AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM t) FROM t', /'t' is not a CTE in scope/],
    ];
    for (const [name, sql, pattern] of hostile) {
      it(`refuses ${name}`, async () => {
        await refused(sql, pattern);
      });
    }

    it('getvariable() reads no files, and the confined database has no variables (SET VARIABLE is no SELECT)', async () => {
      assert.equal(await rows("SELECT getvariable('p')"), '[[null]]');
      await refused("SET VARIABLE p = '/etc/passwd'", /only SELECT/i);
    });

    it('a USING KEY recursive CTE and a MATERIALIZED one still run', async () => {
      assert.equal(await rows('WITH RECURSIVE t(x) USING KEY (x) AS (SELECT 1 UNION SELECT x + 1 FROM t WHERE x < 3) SELECT sum(x) FROM t'), '[[6]]');
      assert.equal(await rows("WITH a AS MATERIALIZED (SELECT * FROM 'data/train.csv') SELECT a.label FROM a ORDER BY 1"), '[["a"],["b"]]');
    });
  });
});
