import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { isUserError } from '../../src/common/errors';
import type { ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DatasetSession } from '../../src/data/datasetSession';
import { describeDatasetTool } from '../../src/data/dataTools';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import type { ToDataView } from '../../src/data/protocol';
import { eventually } from '../support/eventually';
import { DataFolder, lit } from '../support/dataFixtures';

// An empty file has no columns: DuckDB's sniffer makes one up (column0), which the grid showed as
// if the file held it. A file of 0 bytes or blank lines now says so; a header without rows (as
// DuckDB's writer leaves it for an empty result) shows its columns and no rows.

describe('Dataset: empty and header-only files', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  const signal = (): AbortSignal => AbortSignal.timeout(60_000);

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    mkdirSync(folder.path('ws'));
    for (const name of ['empty.csv', 'empty.tsv', 'empty.jsonl', 'empty.parquet', 'empty.arrow']) writeFileSync(folder.path(`ws/${name}`), '');
    writeFileSync(folder.path('ws/blank.csv'), '\n\r\n  \n');
    await folder.duckdb(`COPY (SELECT 1 AS id, 'x' AS label, 0.5 AS score WHERE false) TO ${lit(folder.path('ws/header.csv'))} (HEADER)`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('a 0-byte file of any format, or one of blank lines, says "empty file: no columns"', async () => {
    for (const name of ['empty.csv', 'empty.tsv', 'empty.jsonl', 'empty.parquet', 'empty.arrow', 'blank.csv']) {
      const source = new FileDatasetSource(folder.path(`ws/${name}`), engine);
      await assert.rejects(source.info(EMPTY_VIEW, signal()), (e: Error) => isUserError(e) && e.message === `${name}: empty file: no columns.`, name);
      await source.dispose();
    }
  });

  it('the grid shows the message', async () => {
    const source = new FileDatasetSource(folder.path('ws/empty.csv'), engine);
    const sent: ToDataView[] = [];
    const session = new DatasetSession(source, { title: 'empty.csv', kind: 'file', canCompare: false, canCopyCode: true }, (m) => void sent.push(m), {
      writeClipboard: () => Promise.resolve(),
      copyAsCode: () => '',
    });
    await session.handle({ type: 'view', gen: 1, view: EMPTY_VIEW });
    const failed = await eventually('the grid told it failed', () => sent.find((m) => m.type === 'failed'), (m) => m !== undefined);
    assert.deepEqual(failed, { type: 'failed', gen: 1, message: 'empty.csv: empty file: no columns.' });
    assert.equal(sent.filter((m) => m.type === 'info').length, 0);
    await source.dispose();
  });

  it('a header-only CSV shows its columns and 0 rows', async () => {
    const source = new FileDatasetSource(folder.path('ws/header.csv'), engine);
    const info = await source.info(EMPTY_VIEW, signal());
    assert.deepEqual(info.columns.map((c) => c.name), ['id', 'label', 'score']);
    assert.equal(info.totalRows, 0);
    assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 50, signal())).rows, []);
    assert.deepEqual((await source.rows({ filters: [], sort: [{ column: 'id', descending: false }] }, 0, 50, signal())).rows, []);
    assert.equal((await source.summarize('label', EMPTY_VIEW, signal())).nulls, 0);
    await source.dispose();
  });

  it('describe_dataset and the CLI say it too', async () => {
    const context: ToolContext = { files: new WorkspaceFiles([{ name: 'ws', path: folder.path('ws') }]), applyChange: () => Promise.resolve() };
    const tool = describeDatasetTool(() => engine);
    await assert.rejects(tool.run({ path: 'empty.csv' }, context, new AbortController().signal), /empty\.csv: empty file: no columns/);
    const header = JSON.stringify(await tool.run({ path: 'header.csv' }, context, new AbortController().signal));
    assert.match(header, /0 rows/);
    assert.match(header, /label/);
    assert.doesNotMatch(header, /column0/);

    const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runCli(['data', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: folder.path('ws') }, { version: 'test', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
      return { code, out, err };
    };
    const empty = await cli('describe', 'empty.csv');
    assert.notEqual(empty.code, 0);
    assert.match(empty.err, /empty\.csv: empty file: no columns/);
    const described = await cli('describe', 'header.csv');
    assert.equal(described.code, 0, described.err);
    assert.match(described.out, /^header\.csv: 0 rows × 3 columns/);
  });
});
