import * as assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { DataFolder, lit } from '../support/dataFixtures';

// `ml-engineer data describe|head|query`, run as the binary runs it, on files DuckDB wrote.

describe('CLI: ml-engineer data', function () {
  this.timeout(120_000);
  let folder: DataFolder;

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(['data', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: folder.dir }, { version: 'test', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
    return { code, out, err };
  }

  before(async () => {
    folder = new DataFolder();
    await folder.duckdb(`COPY (SELECT i AS id, ['a', 'b', 'c'][1 + i % 3] AS label FROM range(30) t(i)) TO ${lit(folder.path('train.parquet'))} (FORMAT parquet)`);
    writeFileSync(folder.path('ragged.csv'), 'a,b\n1,2\n3,4,5\n');
  });
  after(() => folder?.close());

  it('describe: rows, columns and each column summarized', async () => {
    const { code, out } = await cli('describe', 'train.parquet');
    assert.equal(code, 0);
    assert.match(out, /^train\.parquet: 30 rows × 2 columns/);
    assert.match(out, /- id: BIGINT — 0 null, 30 distinct, min 0, max 29, mean 14\.5/);
    assert.match(out, /- label: VARCHAR — 0 null, 3 distinct, min "a", max "c", top "a" \(10\), "b" \(10\), "c" \(10\)/);
    const json = JSON.parse((await cli('describe', 'train.parquet', '--json')).out) as { totalRows: number; summaries: { column: string; distinct: number }[] };
    assert.equal(json.totalRows, 30);
    assert.deepEqual(json.summaries.map((s) => [s.column, s.distinct]), [['id', 30], ['label', 3]]);
  });

  it('head -n', async () => {
    assert.equal((await cli('head', 'train.parquet', '-n', '2')).out, 'id\tlabel\n0\t"a"\n1\t"b"\n');
    assert.deepEqual((JSON.parse((await cli('head', 'train.parquet', '-n', '1', '--json')).out) as { rows: unknown[] }).rows, [[0, 'a']]);
  });

  it('head reads the first rows only: a bad line deep in the file does not matter, nothing is counted', async () => {
    // Line 100,002 is Latin-1 and not a number: a count (or any read of the whole file) fails on it.
    const late = ['x,s', ...Array.from({ length: 100_000 }, (_, i) => `${i},a`)].join('\n');
    writeFileSync(folder.path('late.csv'), Buffer.concat([Buffer.from(`${late}\n`), Buffer.from('caf\xe9,b\n', 'latin1')]));
    const head = await cli('head', 'late.csv', '-n', '3');
    assert.equal(head.code, 0, head.err);
    assert.equal(head.out, 'x\ts\n0\t"a"\n1\t"a"\n2\t"a"\n');
    const json = JSON.parse((await cli('head', 'late.csv', '-n', '2', '--json')).out) as { columns: { name: string }[]; rows: unknown[] };
    assert.deepEqual([json.columns.map((c) => c.name), json.rows], [['x', 's'], [[0, 'a'], [1, 'a']]]);
    // 10 GB (sparse: 30,000 rows, then zeros): counting it reads all 10 GB (over a minute here); head reads its first rows.
    const big = folder.path('big.csv');
    writeFileSync(big, `id,v\n${Array.from({ length: 30_000 }, (_, i) => `${i},${i / 2}\n`).join('')}`);
    truncateSync(big, 10 * 1024 ** 3);
    const started = performance.now();
    const bigHead = await cli('head', 'big.csv', '-n', '2');
    assert.equal(bigHead.code, 0, bigHead.err);
    assert.equal(bigHead.out, 'id\tv\n0\t0\n1\t0.5\n');
    assert.ok(performance.now() - started < 30_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('query: read-only SQL over files under the current folder', async () => {
    const { code, out } = await cli('query', "SELECT label, count(*) AS n FROM 'train.parquet' GROUP BY 1 ORDER BY 1");
    assert.equal(code, 0);
    assert.equal(out, 'label\tn\n"a"\t10\n"b"\t10\n"c"\t10\n');
    const outside = await cli('query', "SELECT * FROM read_csv('/etc/passwd')");
    assert.equal(outside.code, 1);
    assert.match(outside.err, /\/etc\/passwd is outside the workspace/);
    const write = await cli('query', "COPY (SELECT 1) TO 'out.csv'");
    assert.equal(write.code, 1);
    assert.match(write.err, /only SELECT statements/);
  });

  it('a bad file: exit 1 and the line named; usage errors: exit 2', async () => {
    const bad = await cli('head', 'ragged.csv');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /ragged\.csv could not be read: CSV Error on Line: 3/);
    assert.equal((await cli('head')).code, 2);
    assert.equal((await cli('head', 'train.parquet', '-n', 'x')).code, 2);
  });
});
