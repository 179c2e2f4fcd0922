import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { isToolInputError, type ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { describeDatasetTool, queryDatasetTool } from '../../src/data/dataTools';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FolderDatasetSource } from '../../src/data/engine/folderDatasetSource';
import { MAX_TEXT_SHARDS } from '../../src/data/engine/folderFiles';
import { DataFolder, lit } from '../support/dataFixtures';

// A folder of shards as one dataset, on files other tools wrote: DuckDB's COPY … PARTITION_BY
// (the hive layout pandas' to_parquet(partition_cols=) and Spark write; pyarrow is not installed
// here), pandas' to_csv shards with a column only some have, Spark's _SUCCESS and .crc beside them.
// The source, the agent's describe_dataset and the CLI, each on the real engine; links out refused.

describe('Folder datasets: a folder of shards read as one table', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let context: ToolContext;
  const signal = new AbortController().signal;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    mkdirSync(folder.path('ws/events'), { recursive: true });
    await folder.duckdb(`COPY (SELECT i AS id, 2023 + i % 2 AS year, 1 + i % 3 AS month, i * 0.5 AS x FROM range(600) t(i)) TO ${lit(folder.path('ws/events'))} (FORMAT parquet, PARTITION_BY (year, month))`);
    writeFileSync(folder.path('ws/events/_SUCCESS'), '');
    writeFileSync(folder.path('ws/events/.part-0.parquet.crc'), 'crc');
    // pandas' shards: the third adds a column the first two lack.
    folder.python(
      [
        'import pandas as pd, os',
        "os.makedirs('ws/shards', exist_ok=True)",
        "for k in range(3):\n    df = pd.DataFrame({'id': range(k * 10, k * 10 + 10), 'label': ['a', 'b'] * 5})\n    if k == 2: df['weight'] = 1.5\n    df.to_csv(f'ws/shards/shard-{k:05d}.csv', index=False)",
      ].join('\n'),
    );
    writeFileSync(folder.path('ws/shards/README.md'), '# not data\n');
    // Mixed: two Parquet files and one CSV; links out of the workspace beside them.
    mkdirSync(folder.path('ws/mixed'));
    await folder.duckdb(`COPY (SELECT 1 AS v) TO ${lit(folder.path('ws/mixed/a.parquet'))} (FORMAT parquet)`);
    await folder.duckdb(`COPY (SELECT 2 AS v) TO ${lit(folder.path('ws/mixed/b.parquet'))} (FORMAT parquet)`);
    writeFileSync(folder.path('ws/mixed/c.csv'), 'v\n3\n');
    mkdirSync(folder.path('outside'));
    await folder.duckdb(`COPY (SELECT 666 AS v) TO ${lit(folder.path('outside/secret.parquet'))} (FORMAT parquet)`);
    symlinkSync(folder.path('outside/secret.parquet'), folder.path('ws/mixed/z-link.parquet'));
    symlinkSync(folder.path('outside'), folder.path('ws/mixed/out-dir'));
    symlinkSync(folder.path('outside'), folder.path('ws/out-link'));
    mkdirSync(folder.path('ws/empty/sub'), { recursive: true });
    writeFileSync(folder.path('ws/empty/notes.txt'), 'nothing here');
    mkdirSync(folder.path('ws/linked'));
    await folder.duckdb(`COPY (SELECT 7 AS v) TO ${lit(folder.path('ws/linked/a.parquet'))} (FORMAT parquet)`);
    linkSync(folder.path('outside/secret.parquet'), folder.path('ws/linked/b.parquet'));
    // A file column named like a partition key (kept); a subfolder the walk cannot read.
    for (const [k, row] of [[1, '9,1'], [2, '8,2']] as const) {
      mkdirSync(folder.path(`ws/coll/k=${k}`), { recursive: true });
      writeFileSync(folder.path(`ws/coll/k=${k}/a.csv`), `k,v\n${row}\n`);
    }
    mkdirSync(folder.path('ws/locked/sub'), { recursive: true });
    writeFileSync(folder.path('ws/locked/a.csv'), 'v\n1\n');
    writeFileSync(folder.path('ws/locked/sub/b.csv'), 'v\n2\n');
    // root reads any folder: a path longer than PATH_MAX (made by relative steps) is one readdir fails on.
    if (process.getuid?.() === 0) execFileSync('bash', ['-c', `cd ${JSON.stringify(folder.path('ws/locked/sub'))} && for i in $(seq 20); do mkdir ${'d'.repeat(250)} && cd ${'d'.repeat(250)}; done`]);
    else chmodSync(folder.path('ws/locked/sub'), 0);
    mkdirSync(folder.path('ws/many'));
    for (let i = 0; i <= MAX_TEXT_SHARDS; i++) writeFileSync(folder.path(`ws/many/p${String(i).padStart(4, '0')}.csv`), `v,w${i % 50}\n${i},1\n`);
    // A workspace whose own path holds key=value (…/p=secret/ws2): no folder above the dataset becomes a column.
    mkdirSync(folder.path('p=secret/ws2/plain'), { recursive: true });
    writeFileSync(folder.path('p=secret/ws2/plain/a.csv'), 'v\n1\n');
    writeFileSync(folder.path('p=secret/ws2/plain/b.csv'), 'v\n2\n');
    mkdirSync(folder.path('p=secret/ws2/part/k=1'), { recursive: true });
    writeFileSync(folder.path('p=secret/ws2/part/k=1/a.csv'), 'v\n1\n');
    mkdirSync(folder.path('p=secret/ws2/part/k=2'), { recursive: true });
    writeFileSync(folder.path('p=secret/ws2/part/k=2/a.csv'), 'v\n2\n');
    context = { files: new WorkspaceFiles([{ name: 'ws', path: folder.path('ws') }]), applyChange: () => Promise.resolve() };
  });
  after(async () => {
    await engine?.close();
    if (folder) execFileSync('chmod', ['-R', 'u+rwx', folder.path('ws/locked')]);
    if (folder) execFileSync('rm', ['-rf', folder.path('ws/locked')]);
    folder?.close();
  });

  it('a workspace under p=secret/: no column from the path above the folder, in the viewer, describe_dataset and query_dataset', async () => {
    const context2: ToolContext = { files: new WorkspaceFiles([{ name: 'ws2', path: folder.path('p=secret/ws2') }]), applyChange: () => Promise.resolve() };
    const plain = new FolderDatasetSource(folder.path('p=secret/ws2/plain'), engine);
    const part = new FolderDatasetSource(folder.path('p=secret/ws2/part'), engine);
    try {
      assert.deepEqual((await plain.info(EMPTY_VIEW, signal)).columns.map((c) => c.name), ['v']);
      const info = await part.info(EMPTY_VIEW, signal);
      assert.deepEqual(info.columns.map((c) => c.name), ['v', 'k'], 'k from the folder below, no p from above');
      assert.ok(info.notes?.includes('Partition column from folder names: k.'), JSON.stringify(info.notes));
      assert.deepEqual((await part.rows({ filters: [], sort: [{ column: 'v', descending: false }] }, 0, 5, signal)).rows, [[1, '1'], [2, '2']]);
      assert.deepEqual((await part.info({ filters: [{ column: 'k', op: 'equals', value: '2' }], sort: [] }, signal)).viewRows, 1);
    } finally {
      await plain.dispose();
      await part.dispose();
    }
    const query = queryDatasetTool(() => engine);
    for (const sql of ["SELECT * FROM 'plain'", "SELECT * FROM read_csv('plain/a.csv')", "SELECT * FROM 'plain/a.csv'", "SELECT * FROM read_csv('part', hive_partitioning = true)", "SELECT * FROM 'part'"]) {
      const result = await query.run({ sql }, context2, signal);
      assert.doesNotMatch(result.content, /secret|\bp \(/, sql);
    }
    const described = await describeDatasetTool(() => engine).run({ path: 'plain/a.csv' }, context2, signal);
    assert.doesNotMatch(described.content, /secret|- p:/);
  });

  it("a file's own column named like a partition key is kept, and the header says so", async () => {
    const source = new FolderDatasetSource(folder.path('ws/coll'), engine);
    try {
      const info = await source.info(EMPTY_VIEW, signal);
      assert.deepEqual(info.columns.map((c) => c.name), ['k', 'v']);
      assert.ok(info.notes?.some((n) => /^Column k kept from the files; the folder names' k=… not added as columns\.$/.test(n)), JSON.stringify(info.notes));
      assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 5, signal)).rows, [[9, 1], [8, 2]]);
    } finally {
      await source.dispose();
    }
    const described = await describeDatasetTool(() => engine).run({ path: 'coll' }, context, signal);
    assert.match(described.content, /note: Column k kept from the files/);
  });

  it('more text shards than the engine reads apart: a clear message naming the count and the cap', async () => {
    const source = new FolderDatasetSource(folder.path('ws/many'), engine);
    await assert.rejects(source.info(EMPTY_VIEW, signal), /^UserError: many holds 501 csv files; a folder of text shards is read as one dataset up to 500 files/);
    await assert.rejects(queryDatasetTool(() => engine).run({ sql: "SELECT count(*) FROM 'many'" }, context, signal), /many holds 501 csv files/);
  });

  it('a subfolder that cannot be read is named in a note', async () => {
    const source = new FolderDatasetSource(folder.path('ws/locked'), engine);
    try {
      const info = await source.info(EMPTY_VIEW, signal);
      assert.ok(info.notes?.some((n) => /^Left out 1 folder that could not be read \(permissions\?\): sub/.test(n)), JSON.stringify(info.notes));
      assert.equal(info.totalRows, process.getuid?.() === 0 ? 2 : 1);
    } finally {
      await source.dispose();
    }
  });

  it('a hive-partitioned Parquet folder: every shard, the partition folders as columns, rows and size in the header', async () => {
    const source = new FolderDatasetSource(folder.path('ws/events'), engine);
    try {
      const info = await source.info(EMPTY_VIEW, signal);
      assert.equal(info.label, 'events/');
      assert.equal(info.totalRows, 600);
      assert.deepEqual(info.columns.map((c) => c.name).sort(), ['id', 'month', 'x', 'year']);
      assert.ok((info.fileBytes ?? 0) > 0);
      assert.ok(info.notes?.some((n) => /Partition columns from folder names: year, month\./.test(n)), JSON.stringify(info.notes));
      const filtered = await source.info({ filters: [{ column: 'year', op: 'equals', value: 2024 }], sort: [] }, signal);
      assert.equal(filtered.viewRows, 300);
      const sorted = await source.rows({ filters: [], sort: [{ column: 'id', descending: true }] }, 0, 2, signal);
      const id = info.columns.findIndex((c) => c.name === 'id');
      assert.deepEqual(sorted.rows.map((r) => r[id]), [599, 598]);
      const month = await source.summarize('month', EMPTY_VIEW, signal);
      assert.deepEqual([month.count, month.distinct, month.min, month.max], [600, 3, 1, 3]);
    } finally {
      await source.dispose();
    }
  });

  it('CSV shards with a differing column: unioned by name, the note says which shard adds it', async () => {
    const source = new FolderDatasetSource(folder.path('ws/shards'), engine);
    try {
      const info = await source.info(EMPTY_VIEW, signal);
      assert.equal(info.totalRows, 30);
      assert.deepEqual(info.columns.map((c) => c.name), ['id', 'label', 'weight']);
      assert.ok(info.notes?.includes('Column "weight" only in shard-00002.csv.'), JSON.stringify(info.notes));
      const weight = await source.summarize('weight', EMPTY_VIEW, signal);
      assert.deepEqual([weight.nulls, weight.min], [20, 1.5]);
      const page = await source.rows(EMPTY_VIEW, 0, 30, signal);
      assert.deepEqual(page.rows.map((r) => r[0]), Array.from({ length: 30 }, (_, i) => i));
    } finally {
      await source.dispose();
    }
  });

  it('mixed formats: the most common one, the rest said; links are not followed', async () => {
    const source = new FolderDatasetSource(folder.path('ws/mixed'), engine);
    try {
      const info = await source.info(EMPTY_VIEW, signal);
      assert.equal(info.totalRows, 2);
      assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 10, signal)).rows, [[1], [2]]);
      assert.ok(info.notes?.includes('Read the parquet files only; left out 1 csv file.'), JSON.stringify(info.notes));
      assert.ok(info.notes?.includes('2 symbolic links not followed.'), JSON.stringify(info.notes));
    } finally {
      await source.dispose();
    }
  });

  it('a folder of no data files: a clear message', async () => {
    const source = new FolderDatasetSource(folder.path('ws/empty'), engine);
    await assert.rejects(source.info(EMPTY_VIEW, signal), /empty holds no data files to read as a dataset/);
    await source.dispose();
  });

  it('describe_dataset takes a folder; a link out of the workspace and a hard-linked shard are refused', async () => {
    const tool = describeDatasetTool(() => engine);
    const result = await tool.run({ path: 'shards' }, context, signal);
    assert.match(result.content, /^shards: 30 rows × 3 columns/);
    assert.match(result.content, /note: Column "weight" only in shard-00002\.csv\./);
    const refused = async (path: string, message: RegExp): Promise<void> => {
      await assert.rejects(tool.run({ path }, context, signal), (error: unknown) => isToolInputError(error) && message.test((error as Error).message));
    };
    await refused('out-link', /leads outside the workspace through a symbolic link/);
    await refused('linked', /has other hard links/);
    await refused('empty', /holds no data files/);
  });

  it('query_dataset reads a folder by name or in a reader; links out are not followed or refused', async () => {
    const tool = queryDatasetTool(() => engine);
    const byYear = await tool.run({ sql: "SELECT year, count(*) AS n FROM 'events' GROUP BY 1 ORDER BY 1" }, context, signal);
    assert.equal(byYear.content, '2 rows\nyear (BIGINT)\tn (BIGINT)\n2023\t300\n2024\t300');
    const shards = await tool.run({ sql: "SELECT count(weight) AS w, count(*) AS n FROM 'shards'" }, context, signal);
    assert.match(shards.content, /\n10\t30$/);
    const reader = await tool.run({ sql: "SELECT sum(v) AS s FROM read_parquet('mixed')" }, context, signal);
    assert.match(reader.content, /\n3$/, 'the link to a file outside (666) is not read');
    const refused = async (sql: string, message: RegExp): Promise<void> => {
      await assert.rejects(tool.run({ sql }, context, signal), (error: unknown) => isToolInputError(error) && message.test((error as Error).message));
    };
    await refused("SELECT * FROM 'out-link'", /leads outside the workspace through a symbolic link/);
    await refused("SELECT * FROM read_parquet('linked')", /has other hard links/);
    await refused("SELECT * FROM 'empty'", /holds no data files/);
  });

  it('CLI: data describe and head FOLDER', async () => {
    const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runCli(['data', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: folder.path('ws') }, { version: 'test', subcommands: SUBCOMMANDS, signal });
      return { code, out, err };
    };
    const describe = await cli('describe', 'events');
    assert.equal(describe.code, 0, describe.err);
    assert.match(describe.out, /^events\/: 600 rows × 4 columns/);
    assert.match(describe.out, /- year: BIGINT — 0 null, 2 distinct, min 2023, max 2024/);
    const head = await cli('head', 'shards', '-n', '2');
    assert.equal(head.code, 0, head.err);
    assert.equal(head.out, 'id\tlabel\tweight\n0\t"a"\tnull\n1\t"b"\tnull\n');
    const empty = await cli('describe', 'empty');
    assert.equal(empty.code, 1);
    assert.match(empty.err, /empty holds no data files/);
  });
});
