import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isToolInputError, type ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { queryDatasetTool } from '../../src/data/dataTools';
import { DataEngine, EngineStopped } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataFolder } from '../support/dataFixtures';
import { eventually } from '../support/eventually';

// An independent review's attacks on query_dataset / `ml-engineer data query` that got through
// (the model's SQL is hostile input). Each runs the real tool or CLI on the real engine, and each
// fails on the code it was written against; the routes that were refused are in the report.

/** Names of the engine's spill folders under a temp folder. */
function spillFolders(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('ml-engineer-duckdb-'));
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return total;
}

/** The resident memory (MB) of the largest of this process's children: an engine (Linux /proc). */
function engineRssMb(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total = Math.max(total, rss ? Number(rss[1]) / 1024 : 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

describe('Agent data tools under attack: query_dataset / data query routes that got through', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let context: ToolContext;
  const signal = new AbortController().signal;
  const query = () => queryDatasetTool(() => engine);

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    mkdirSync(folder.path('ws/data'), { recursive: true });
    writeFileSync(folder.path('ws/data/train.csv'), 'id,label\n1,a\n2,b\n');
    mkdirSync(folder.path('outside'));
    writeFileSync(folder.path('outside/secret.csv'), 'k\nhunter2\n');
    symlinkSync(folder.path('outside'), folder.path('ws/out-link'));
    context = { files: new WorkspaceFiles([{ name: 'ws', path: folder.path('ws') }]), applyChange: () => Promise.resolve() };
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  // confinedSql.ts puts every CTE name of a WITH in scope in every CTE body, but DuckDB makes a
  // (non-recursive) CTE visible only to the CTEs after it and to the main query. A name used in
  // an earlier CTE body (or in its own) is therefore waved through as "a CTE" by the check and
  // bound by DuckDB as a catalog object or a file: only allowed_directories stands behind it.
  describe('a CTE name used before its CTE is defined is not a CTE to DuckDB', () => {
    const refused = (e: Error) => isToolInputError(e) && /outside the workspace|no file|cannot|refused|workspace files|symbolic link/i.test(e.message) && !/hunter2/.test(e.message);

    it('reads the engine catalog (pg_settings: temp folder, allowed directories) that the check refuses by name', async () => {
      // Got through: 2 rows: allowed_directories [<ws>/, /tmp/ml-engineer-duckdb-<pid>/], temp_directory.
      const sql = "WITH a AS (FROM pg_settings), pg_settings AS (SELECT 1) SELECT name, setting FROM a WHERE name IN ('allowed_directories', 'temp_directory')";
      await assert.rejects(query().run({ sql }, context, signal), refused, sql);
      // WITH RECURSIVE does not make a later CTE visible to an earlier one either (got through: 159 settings).
      const recursive = 'WITH RECURSIVE a AS (SELECT name FROM pg_settings UNION ALL SELECT name FROM a WHERE false), pg_settings AS (SELECT 1) SELECT count(*) FROM a';
      await assert.rejects(query().run({ sql: recursive }, context, signal), refused, recursive);
      // The same view by itself is refused (no such file in the workspace).
      await assert.rejects(query().run({ sql: 'SELECT name FROM pg_settings' }, context, signal), refused);
    });

    it("in the CTE's own body too: the name reaches DuckDB unchecked", async () => {
      // Got through the check (DuckDB's own allowed_directories then refused: "Cannot access file … disabled by configuration").
      const sql = `WITH "${folder.path('ws/out-link/secret.csv')}" AS (SELECT * FROM "${folder.path('ws/out-link/secret.csv')}") SELECT * FROM "${folder.path('ws/out-link/secret.csv')}"`;
      await assert.rejects(query().run({ sql }, context, signal), (e: Error) => refused(e) && !/disabled by configuration/.test(e.message), sql);
    });

    it('opens what the check refuses to open: a FIFO in the workspace blocks the engine until it is killed', async function () {
      if (process.platform === 'win32') this.skip();
      execFileSync('mkfifo', [folder.path('ws/pipe.csv')]);
      // Refused by name: realFile() sees it is not a regular file.
      await assert.rejects(query().run({ sql: "SELECT * FROM 'pipe.csv'" }, context, signal), (e: Error) => isToolInputError(e));
      // Through the CTE: DuckDB blocks in open() (measured: until the cancel, then the 2 s grace kills the
      // shared engine; with no cancel, until the 60 s limit kills it).
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), 5000);
      const path = folder.path('ws/pipe.csv');
      const sql = `WITH a AS (FROM "${path}"), "${path}" AS (SELECT 1) SELECT * FROM a`;
      try {
        await assert.rejects(query().run({ sql }, context, stop.signal), (e: Error) => refused(e) && !/stopped|cancel|interrupt/i.test(e.message), sql);
      } finally {
        clearTimeout(timer);
      }
    });

    it('a CTE name that folds to the table name only in Unicode (U+212A KELVIN SIGN) is not a CTE to DuckDB', async () => {
      // confinedSql.ts compared names with toLowerCase() (K -> k); DuckDB folds ASCII only, so the check
      // skipped data/k.csv as "the CTE" while DuckDB read the file unchecked. (The attack's own version used a
      // regular file, whose row a correct check also returns, checked; here the file is a link out, which
      // the check must refuse: before the fix DuckDB followed it, allowed_directories comparing text only.)
      symlinkSync(folder.path('outside/secret.csv'), folder.path('ws/data/k.csv'));
      const path = folder.path('ws/data/k.csv');
      const sql = `WITH "${path.slice(0, -5)}\u212A.csv" AS (SELECT 7 AS k) SELECT k FROM "${path}"`;
      // Either refused, or the CTE it names (7): got through as the file's unchecked row.
      const result = await query()
        .run({ sql }, context, signal)
        .then((r) => r.content, (e: Error) => (isToolInputError(e) && /symbolic link/.test(e.message) ? 'refused' : e.message));
      assert.ok(result === 'refused' || result.endsWith('\n7'), `${sql}\n-> ${result}`);
    });

    it('the CLI takes the same route', async () => {
      let out = '';
      let err = '';
      const sql = "WITH a AS (FROM pg_settings), pg_settings AS (SELECT 1) SELECT setting FROM a WHERE name = 'allowed_directories'";
      const code = await runCli(['data', 'query', sql], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: folder.path('ws') }, { version: 'test', subcommands: SUBCOMMANDS, signal });
      assert.notEqual(code, 0, `the CLI printed the engine's settings: ${out}`);
      assert.doesNotMatch(out, /ml-engineer-duckdb/);
      assert.match(err, /no file|outside the workspace|cannot|refused/i);
    });
  });

  // A pattern is matched by picomatch's backtracking regex on the engine's only JavaScript thread:
  // twelve '*?' against a 34-character file name took 27 s here (30: 7 s), and meanwhile the engine
  // answers nothing (a viewer's query, a cancel) until the host kills it, failing everything in flight.
  it("a pattern's matching does not stall the engine for everyone else", async () => {
    mkdirSync(folder.path('ws/many'));
    writeFileSync(folder.path('ws/many/experiment_results_2024_01_15_final_v2.csv'), 'k\n1\n');
    await engine.query('SELECT 1', {});
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 3000);
    const attack = query()
      .run({ sql: `SELECT * FROM read_csv('many/${'*?'.repeat(12)}!')` }, context, stop.signal)
      .catch(() => undefined);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      const other = await engine.query('SELECT 42 AS answer', { maxRows: 1 }).then((r) => r.rows, (e: Error) => e.message);
      assert.deepEqual(other, [[42]], `another query, ${Date.now() - started} ms later`);
    } finally {
      clearTimeout(timer);
      await attack;
    }
  });

  // The engine makes <temp>/ml-engineer-duckdb-<pid> and removes it only in its own 'exit' handler,
  // which SIGKILL never runs: a query over its time limit was killed with SIGKILL, so everything it
  // spilled stayed on disk, and the next query started a fresh engine with a fresh 2 GB allowance.
  // Now it is interrupted first (the engine lives on): its spill must be gone, and the folder is
  // removed when the engine closes.
  it('a query stopped at its time limit leaves no spill on disk', async function () {
    if (process.platform === 'win32') this.skip();
    mkdirSync(folder.path('tmp'));
    // Its repeat() of 2048-row vectors outgrows the engine's default memory cap; this test is about the time limit.
    const spilling = new DataEngine({ memoryLimitMb: 64, threads: 1, tempDir: folder.path('tmp'), confinedSpillLimitMb: 200, rssCapMb: 4096 });
    // Sorts ~1M wide rows past 64 MB of memory (it spills), then works slowly on the sorted rows past the limit.
    const sql = "SELECT sum(length(repeat(h, 20000))) FROM (SELECT md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS h FROM range(1000000) t(i) ORDER BY h)";
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, bytesUnder(folder.path('tmp')))), 200);
    try {
      await assert.rejects(spilling.query(sql, { confinedTo: [folder.path('ws')], maxRows: 1, timeMs: 12_000 }), /longer than 12 s/);
      await eventually(`no spill left (${Math.round(most / 1048576)} MB at most while it ran)`, () => bytesUnder(folder.path('tmp')), (bytes) => bytes === 0, { timeoutMs: 5000 });
    } finally {
      clearInterval(watch);
      await spilling.close();
    }
    // The host removes a killed engine's folder once it has exited.
    await eventually('close() to remove the spill folder', () => spillFolders(folder.path('tmp')), (left) => left.length === 0, { timeoutMs: 5000 });
  });

  // memory_limit bounds DuckDB's buffer manager, not one scalar value: one list or string built in a
  // single call is allocated outside it. Measured: range(150000000) as a list peaked at 1.2 GB,
  // repeat('x', 1e9) at 2 GB and list_resize([1], 2e8) at 2.3 GB under a 512 MB limit; a larger
  // number takes the person's whole memory before the 60 s limit.
  it("one huge value stays within the engine's memory limit", async function () {
    if (process.platform !== 'linux') this.skip();
    const small = new DataEngine({ memoryLimitMb: 64, threads: 1 });
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, engineRssMb())), 100);
    try {
      await queryDatasetTool(() => small)
        .run({ sql: 'SELECT list_sum(range(50000000)) AS s' }, context, signal)
        .catch(() => undefined);
    } finally {
      clearInterval(watch);
      await small.close();
    }
    // 64 MB of memory_limit plus the engine process itself (~100 MB idle here) and slack.
    assert.ok(peak < 64 + 200, `the engine reached ${Math.round(peak)} MB under memory_limit 64 MB`);
  });

  // The fixes' own routes (wave 5), each through the real tool and engine, each failing before its fix.
  describe('after the fixes', () => {
    it('a value past the engine\'s memory cap kills the engine with a clear error; the next query starts a fresh one', async function () {
      if (process.platform === 'win32') this.skip();
      const small = new DataEngine({ memoryLimitMb: 64, threads: 1 });
      try {
        const started = Date.now();
        await assert.rejects(
          queryDatasetTool(() => small).run({ sql: "SELECT length(repeat('x', 1000000000)) AS n" }, context, signal),
          (e: Error) => isToolInputError(e) && /The data engine stopped: it used \d+ MB of memory, over its cap of 256 MB/.test(e.message) && /next request starts it again/.test(e.message),
        );
        assert.ok(Date.now() - started < 20_000, `killed after ${Date.now() - started} ms`);
        const again = await queryDatasetTool(() => small).run({ sql: 'SELECT 42 AS answer' }, context, signal);
        assert.match(again.content, /\n42$/);
      } finally {
        await small.close();
      }
      // The error class the host gives its callers.
      assert.ok(new EngineStopped('x') instanceof Error);
    });

    it('a hard link inside the workspace to a file outside: refused to the agent, with why; the user\'s grid reads it', async () => {
      linkSync(folder.path('outside/secret.csv'), folder.path('ws/data/linked.csv'));
      await assert.rejects(
        query().run({ sql: "SELECT * FROM 'data/linked.csv'" }, context, signal),
        (e: Error) => isToolInputError(e) && /'data\/linked\.csv' has other hard links; the agent reads only files with one link/.test(e.message) && !/hunter2/.test(e.message),
      );
      await assert.rejects(query().run({ sql: "SELECT * FROM read_csv('data/link*.csv')" }, context, signal), /other hard links/);
      // The person opening the file in the grid chose it: it is read.
      const source = new FileDatasetSource(folder.path('ws/data/linked.csv'), engine);
      try {
        const rows = await source.rows(EMPTY_VIEW, 0, 5, signal);
        assert.match(JSON.stringify(rows), /hunter2/);
      } finally {
        await source.dispose();
      }
    });

    it('a pipe is said to be no regular file, not "a folder"', async function () {
      if (process.platform === 'win32') this.skip();
      execFileSync('mkfifo', [folder.path('ws/data/pipe2.csv')]);
      await assert.rejects(query().run({ sql: "SELECT * FROM 'data/pipe2.csv'" }, context, signal), (e: Error) => isToolInputError(e) && /'data\/pipe2\.csv' is not a regular file/.test(e.message));
    });

    it('a pattern with too many wildcards is refused at once, saying why', async () => {
      const started = Date.now();
      await assert.rejects(query().run({ sql: `SELECT * FROM read_csv('many/${'*a'.repeat(9)}!')` }, context, signal), (e: Error) => isToolInputError(e) && /has 9 wildcards/.test(e.message));
      // Eight are taken, and matched in linear time against a long name.
      writeFileSync(folder.path(`ws/many/${'a'.repeat(200)}.csv`), 'k\n1\n');
      await assert.rejects(query().run({ sql: `SELECT * FROM read_csv('many/${'*a'.repeat(8)}!')` }, context, signal), /no file in the workspace matches/);
      assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    });

    it('ORDER BY inside a reader\'s call is refused (its subquery was not checked)', async () => {
      await assert.rejects(
        query().run({ sql: "SELECT * FROM read_csv('data/train.csv' ORDER BY (SELECT setting FROM pg_settings WHERE name = 'temp_directory'))" }, context, signal),
        (e: Error) => isToolInputError(e) && /ORDER BY inside its call/.test(e.message),
      );
    });

    it('query_dataset still answers the everyday questions: CTEs, joins, globs, recursion', async () => {
      const result = await query().run({ sql: "WITH t AS (SELECT * FROM 'data/train.csv'), n AS (SELECT count(*) AS c FROM t) SELECT t.label, n.c FROM t, n ORDER BY t.id" }, context, signal);
      assert.match(result.content, /^2 rows\n.*\n"a"\t2\n"b"\t2$/);
      const recursive = await query().run({ sql: 'WITH RECURSIVE r AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM r WHERE i < 3) SELECT sum(i) AS s FROM r' }, context, signal);
      assert.match(recursive.content, /\n6$/);
    });
  });
});
