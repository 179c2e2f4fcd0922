import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowSqliteStore } from '../../src/tracking/mlflowSqlite';
import { parseCreateTable } from '../../src/tracking/sqlite/createTableSql';
import { SqliteFile } from '../../src/tracking/sqlite/sqliteFile';
import { tableDatabase } from '../support/sqliteBuilder';
import { MLFLOW_SCHEMA, writeMlflowSqlite, type FakeRun } from '../support/trackingFixtures';

// mlflow.db files written by real SQLite (Python's sqlite3) from MLflow's own schema
// (../shared/corpora/mlflow/latest_schema.sql), read by our page-at-a-time reader.

const python = '/usr/bin/python3';
const hex = (c: string): string => c.repeat(32);

describe('MLflow SQLite store (databases written by real SQLite)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-sqlite-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const runs: (FakeRun & { experiment: string })[] = [
    { id: hex('a'), name: 'baseline', experiment: 'mnist', params: { lr: '0.01', optimizer: 'sgd' }, tags: { 'mlflow.source.name': 'train.py' }, metrics: { loss: [1, 0.5, 0.25], acc: [0.5, 0.8, 0.9] } },
    { id: hex('b'), name: 'diverged', experiment: 'mnist', status: 4, params: { lr: '1.0' }, metrics: { loss: [1, 5, NaN] } },
    { id: hex('c'), name: 'live', experiment: 'cifar', status: 1, metrics: { loss: [2] } },
  ];

  it('reads experiments, runs (string statuses), params, tags and latest metrics; history from metrics', async () => {
    const db = join(dir, 'mlflow.db');
    writeMlflowSqlite(db, runs, { python });
    const store = new MlflowSqliteStore(db);
    const snap = await store.load();
    assert.deepEqual(snap.problems, []);
    assert.deepEqual(snap.experiments.map((e) => [e.id, e.name, e.runs.length]), [['1', 'mnist', 2], ['2', 'cifar', 1]]);
    const [a, b] = snap.experiments[0]!.runs;
    assert.equal(a!.status, 'finished');
    assert.deepEqual(a!.params, { lr: '0.01', optimizer: 'sgd' });
    assert.equal(a!.tags['mlflow.source.name'], 'train.py');
    assert.deepEqual(a!.metrics.map((m) => [m.key, m.last, m.lastStep]), [['acc', 0.9, 2], ['loss', 0.25, 2]]);
    assert.equal(b!.status, 'failed');
    assert.ok(Number.isNaN(b!.metrics[0]!.last), 'is_nan=1 reads as NaN');
    assert.equal(snap.experiments[1]!.runs[0]!.status, 'running');
    const history = await store.history(a!, 'loss');
    assert.deepEqual(history.map((p) => [p.step, p.value]), [[0, 1], [1, 0.5], [2, 0.25]]);
    assert.ok(Number.isNaN((await store.history(b!, 'loss'))[2]!.value));
  });

  it('keeps params and tags named __proto__ or constructor, and reads a status SQLite holds as "constructor" as unknown', async () => {
    const db = join(dir, 'mlflow.db');
    writeMlflowSqlite(db, [{ id: hex('d'), name: 'odd', experiment: 'x', params: { ['__proto__']: 'p', constructor: 'c' }, tags: { toString: 't' } }], { python });
    execFileSync(python, ['-c', 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA ignore_check_constraints = ON"); db.execute("UPDATE runs SET status = \'constructor\'"); db.commit()', db]);
    const [run] = (await new MlflowSqliteStore(db).load()).experiments[0]!.runs;
    assert.deepEqual(Object.entries(run!.params), [['__proto__', 'p'], ['constructor', 'c']]);
    assert.equal(Object.getOwnPropertyDescriptor(run!.tags, 'toString')?.value, 't');
    assert.equal(run!.status, 'unknown');
  });

  it('reads what is still only in the -wal file (a live MLflow server), committed frames only', async () => {
    const db = join(dir, 'mlflow.db');
    writeMlflowSqlite(db, runs, { python, wal: true });
    assert.ok(existsSync(`${db}-wal`), 'the writes are in the WAL');
    const snap = await new MlflowSqliteStore(db).load();
    assert.equal(snap.experiments.flatMap((e) => e.runs).length, 3);
  });

  it('reads a large table across many pages and overflow values, in rowid order, like sqlite3 does', () => {
    const db = join(dir, 'big.db');
    const script = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, blob BLOB, f REAL, big INTEGER)')
db.executemany('INSERT INTO t (name, blob, f, big) VALUES (?, ?, ?, ?)', [('n%d' % i + 'x' * (i % 7000), bytes([i % 256]) * (i % 300), i / 3, i * 2**40 - 5) for i in range(20000)])
db.commit()
print(db.execute('SELECT count(*), sum(length(name)), sum(length(blob)) FROM t').fetchone())
`;
    const expected = execFileSync(python, ['-c', script, db], { encoding: 'utf8' }).trim();
    const file = new SqliteFile(db);
    try {
      let count = 0;
      let nameLength = 0;
      let blobLength = 0;
      let lastId = 0;
      for (const row of file.rows('t')) {
        count++;
        assert.ok((row.id as number) > lastId);
        lastId = row.id as number;
        nameLength += (row.name as string).length;
        blobLength += (row.blob as Uint8Array).length;
        const i = (row.id as number) - 1;
        if (i % 997 === 0) {
          assert.equal(row.f, i / 3);
          assert.equal(BigInt(row.big as number | bigint), BigInt(i) * 2n ** 40n - 5n);
        }
      }
      assert.equal(`(${count}, ${nameLength}, ${blobLength})`, expected);
    } finally {
      file.close();
    }
  });

  it('parses the column lists of every table in MLflow\'s schema', () => {
    const statements = execFileSync(python, ['-c', 'import sys; print(open(sys.argv[1]).read())', MLFLOW_SCHEMA], { encoding: 'utf8' }).split('\n\n\n');
    const runsTable = parseCreateTable(statements.find((s) => s.includes('CREATE TABLE runs ('))!);
    assert.deepEqual(runsTable.columns.slice(0, 3), ['run_uuid', 'name', 'source_type']);
    assert.equal(runsTable.columns.length, 14);
    assert.equal(parseCreateTable(statements.find((s) => s.includes('CREATE TABLE experiments ('))!).rowidColumn, 0, 'experiment_id INTEGER with PRIMARY KEY (experiment_id) is the rowid');
  });

  it('says what is wrong with a file that is not SQLite, truncated, or not MLflow\'s, and never throws', async () => {
    const notDb = join(dir, 'mlflow.db');
    writeFileSync(notDb, 'hello, this is text');
    assert.match((await new MlflowSqliteStore(notDb).load()).problems.join(), /not an SQLite 3 database/);
    const other = join(dir, 'other.db');
    execFileSync(python, ['-c', 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("CREATE TABLE x (a)"); db.commit()', other]);
    assert.match((await new MlflowSqliteStore(other).load()).problems.join(), /not an MLflow tracking database/);
    const cut = join(dir, 'cut.db');
    writeMlflowSqlite(cut, runs, { python });
    truncateSync(cut, 4096 * 3);
    const snap = await new MlflowSqliteStore(cut).load();
    assert.ok(snap.problems.length > 0);
    assert.match(snap.problems.join(), /outside the file|cut short|truncated|no "experiments"|corrupt/);
  });

  it('reads tables whose CREATE TABLE text is unusual (quotes, comments, constraints, rowid aliases) as SQLite does', () => {
    const db = join(dir, 'odd.db');
    const tables = [
      'CREATE TABLE "we""ird" ("a,b" TEXT, [c d] INTEGER PRIMARY KEY, `e` REAL /* a (comment), */ , f -- (another, one)\n)',
      'CREATE TABLE t2 (id INTEGER NOT NULL, v VARCHAR(32) DEFAULT \'x,(y)\' CHECK (v <> \'\'), CONSTRAINT pk PRIMARY KEY (id))',
      'CREATE TABLE t3 (id INTEGER PRIMARY KEY DESC, v)',
      'CREATE TABLE t4 (id INT PRIMARY KEY, "primary" TEXT, "constraint" TEXT, "__proto__" TEXT, "constructor" TEXT)',
      'CREATE TABLE t5 (a TEXT, b BLOB, PRIMARY KEY (a, b))',
      'CREATE TABLE t6 (k TEXT PRIMARY KEY, v) WITHOUT ROWID',
    ];
    const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
out = {}
for sql in json.loads(sys.argv[2]):
    db.execute(sql)
    name = db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    cols = [r[1] for r in db.execute('PRAGMA table_info("%s")' % name.replace('"', '""'))]
    db.execute('INSERT INTO "%s" VALUES (%s)' % (name.replace('"', '""'), ', '.join('?' * len(cols))), [str(i + 7) if i > 0 else 7 for i in range(len(cols))])
    rows = [list(r) for r in db.execute('SELECT * FROM "%s"' % name.replace('"', '""'))]
    out[name] = {'columns': cols, 'rows': rows}
db.commit()
print(json.dumps(out))
`;
    const expected = JSON.parse(execFileSync(python, ['-c', script, db, JSON.stringify(tables)], { encoding: 'utf8' })) as Record<string, { columns: string[]; rows: unknown[][] }>;
    const file = new SqliteFile(db);
    try {
      for (const [name, { columns, rows }] of Object.entries(expected)) {
        if (name === 't6') {
          assert.equal(file.hasTable(name), false, 'WITHOUT ROWID tables are not read');
          continue;
        }
        assert.deepEqual(file.columns(name), columns, name);
        assert.deepEqual([...file.rows(name)].map((row) => columns.map((c) => row[c])), rows, `${name}: a rowid alias reads as the rowid, not NULL`);
      }
    } finally {
      file.close();
    }
  });

  it('the test-only SQLite builder (used to craft attacks) writes files SQLite itself finds sound', () => {
    const db = join(dir, 'built.db');
    const { builder } = tableDatabase({ rows: 400, big: 'x'.repeat(5000) });
    writeFileSync(db, builder.build());
    const out = execFileSync(python, ['-c', 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); print(db.execute("PRAGMA integrity_check").fetchone()[0], *db.execute("SELECT count(*), sum(length(name)) FROM t").fetchone())', db], { encoding: 'utf8' }).trim();
    assert.equal(out, `ok 400 ${5000 + [...Array(399).keys()].reduce((n, i) => n + `row ${i + 2}`.length, 0)}`);
  });
});
