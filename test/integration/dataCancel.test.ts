import * as assert from 'node:assert/strict';
import { isAbortError } from '../../src/common/errors';
import { EMPTY_VIEW, type DatasetView } from '../../src/data/datasetSource';
import { DatasetSession } from '../../src/data/datasetSession';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { tablePrep } from '../../src/data/engine/fileRelation';
import type { ToDataView } from '../../src/data/protocol';
import { DataFolder, lit } from '../support/dataFixtures';

// Cancelling one request never fails another that shares its work: a CSV's table is built once
// for every query that needs it, on the engine's own connection, and is stopped only when every
// query waiting on it was cancelled. A real engine and a CSV big enough that the build takes a while.

const SORTED: DatasetView = { filters: [], sort: [{ column: 'x', descending: true }] };
const FILTERED: DatasetView = { filters: [{ column: 'label', op: 'equals', value: 'b' }], sort: [] };
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Dataset engine: cancelling one request does not fail the others', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let csv: string;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 1 });
    csv = folder.path('big.csv');
    await folder.duckdb(`COPY (SELECT i AS id, (i * 7919) % 1000003 AS x, ['a', 'b', 'c'][1 + i % 3] AS label, md5(i::VARCHAR) AS h FROM range(2000000) t(i)) TO ${lit(csv)} (HEADER)`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('a sort cancelled while the table builds leaves a filter waiting on the same build to finish', async () => {
    const source = new FileDatasetSource(csv, engine);
    await source.rows(EMPTY_VIEW, 0, 10, new AbortController().signal); // opened: the first page, no table yet
    const a = new AbortController();
    const sorted = source.rows(SORTED, 0, 5, a.signal);
    await tick(30);
    const filtered = source.info(FILTERED, new AbortController().signal);
    await tick(150);
    a.abort();
    await assert.rejects(sorted, (e: Error) => isAbortError(e));
    const info = await filtered;
    assert.equal(info.totalRows, 2_000_000);
    assert.equal(info.viewRows, 666_667);
    await source.dispose();
  });

  it('a build every waiter cancelled stops, and the next query builds the table again', async () => {
    const prep = tablePrep('csv', csv, 'v-stop', {});
    const one = new AbortController();
    const two = new AbortController();
    const started = Date.now();
    const first = engine.query(`SELECT count(*) FROM "${prep.table}"`, { prepare: [prep] }, one.signal);
    const second = engine.query(`SELECT max(x) FROM "${prep.table}"`, { prepare: [prep] }, two.signal);
    await tick(100);
    one.abort();
    two.abort();
    await assert.rejects(first, (e: Error) => isAbortError(e));
    await assert.rejects(second, (e: Error) => isAbortError(e));
    // Not killed for overrunning the grace period: the build heard the interrupt.
    assert.deepEqual((await engine.query('SELECT 1', {})).rows, [[1]]);
    assert.ok(Date.now() - started < 2000, 'the engine was not restarted');
    assert.deepEqual((await engine.query(`SELECT count(*) FROM "${prep.table}"`, { prepare: [prep] })).rows, [[2_000_000]]);
  });

  it('a grid sorted while its file is still loading gets its answer, not "Applying…" for ever', async () => {
    const source = new FileDatasetSource(csv, engine);
    const sent: ToDataView[] = [];
    const session = new DatasetSession(source, { title: 'big.csv', kind: 'file', canCompare: false, canCopyCode: false }, (m) => void sent.push(m), { writeClipboard: () => Promise.resolve() });
    const first = session.handle({ type: 'view', gen: 1, view: EMPTY_VIEW });
    await tick(20);
    const second = session.handle({ type: 'view', gen: 2, view: SORTED });
    await tick(100);
    const third = session.handle({ type: 'view', gen: 3, view: FILTERED });
    await Promise.all([first, second, third]);
    const last = sent.filter((m) => 'gen' in m && m.gen === 3);
    assert.deepEqual(last.map((m) => m.type).at(-1), 'info', JSON.stringify(sent));
    session.dispose();
    await source.dispose();
  });
});
