import * as assert from 'node:assert/strict';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import type { ColumnSummary, DatasetView } from '../../src/data/datasetSource';
import { DatasetSession } from '../../src/data/datasetSession';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import type { FromDataView, ToDataView } from '../../src/data/protocol';
import { SummaryStore } from '../../src/data/summaryStore';
import { eventually } from '../support/eventually';
import { DataFolder } from '../support/dataFixtures';

// A file's column summaries outlive its grid (src/data/summaryStore.ts): a grid opened again on
// the same file (a tab closed and reopened, a window reloaded: a new source, a new session, a new
// store on the same folder) shows the summary with no query of the engine for it, and a grid on
// the file once rewritten computes it again. The real engine, its queries counted on the client.

const VIEW: DatasetView = { filters: [], sort: [{ column: 'x', descending: true }] };
const FILTERED: DatasetView = { filters: [{ column: 'label', op: 'equals', value: 'b' }], sort: [] };

/** 300 rows, x: 0 to mod - 1 (one digit: any mod gives a file of the same size), label: a/b/c. */
function csvText(mod: number): string {
  const rows = Array.from({ length: 300 }, (_, i) => `${i % mod},${'abc'[i % 3]}`);
  return `x,label\n${rows.join('\n')}\n`;
}

describe('Dataset summaries kept across grids (summaryStore.ts)', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let queries = 0;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    const query = engine.query.bind(engine);
    engine.query = (...args) => {
      queries++;
      return query(...args);
    };
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  /** A grid on `csv`: its session over a new source and a store on `storeDir`. */
  function grid(csv: string, storeDir: string) {
    const source = new FileDatasetSource(csv, engine);
    const store = new SummaryStore(storeDir);
    const sent: ToDataView[] = [];
    const session = new DatasetSession(source, { title: 'd.csv', kind: 'file', canCompare: false, canCopyCode: false }, (m) => void sent.push(m), { writeClipboard: () => Promise.resolve() }, store);
    let id = 0;
    const summary = async (gen: number, column: string): Promise<ColumnSummary> => {
      const asked = ++id;
      await session.handle({ type: 'summarize', gen, id: asked, column } satisfies FromDataView);
      const reply = await eventually(`the summary of ${column}`, () => sent.find((m) => m.type === 'summary' && m.id === asked), (m) => m !== undefined);
      return (reply as Extract<ToDataView, { type: 'summary' }>).summary;
    };
    const view = (gen: number, v: DatasetView): Promise<void> => session.handle({ type: 'view', gen, view: v });
    return { source, store, session, summary, view, close: () => (session.dispose(), source.dispose()) };
  }

  it('a grid opened again shows the summary with no engine query; a rewritten file (same size, new mtime) gets a fresh one', async () => {
    const csv = folder.path('d.csv');
    const storeDir = folder.path('store');
    writeFileSync(csv, csvText(10));
    const first = grid(csv, storeDir);
    await first.view(1, VIEW);
    const x = await first.summary(1, 'x');
    await first.view(2, FILTERED);
    const filtered = await first.summary(2, 'x');
    assert.equal(x.max, 9);
    assert.equal(filtered.count, 100);
    const version = `${statSync(csv).size}-${Math.trunc(statSync(csv).mtimeMs)}`;
    const key = { path: csv, version, filters: FILTERED.filters, column: 'x', type: x.type, textColumns: [] };
    await eventually('the summaries written to the store', () => first.store.get(key), (s) => s !== undefined);
    await first.close();

    const second = grid(csv, storeDir);
    await second.view(1, { filters: [], sort: [] }); // the sort differs: the same summary
    const before = queries;
    assert.deepEqual(await second.summary(1, 'x'), x);
    assert.equal(queries, before, 'no engine query for a kept summary');
    await second.view(2, FILTERED);
    const beforeFiltered = queries;
    assert.deepEqual(await second.summary(2, 'x'), filtered);
    assert.equal(queries, beforeFiltered, 'no engine query for a filtered view kept');
    await second.close();

    // Same size, new mtime, other values: computed again, and what the file now holds.
    const { mtime } = statSync(csv);
    writeFileSync(csv, csvText(5));
    utimesSync(csv, mtime, new Date(mtime.getTime() + 5_000));
    assert.equal(`${statSync(csv).size}`, version.split('-')[0]);
    const third = grid(csv, storeDir);
    await third.view(1, VIEW);
    const beforeFresh = queries;
    const fresh = await third.summary(1, 'x');
    assert.ok(queries > beforeFresh, 'the rewritten file is summarized by the engine');
    assert.notDeepEqual(fresh.quantiles, x.quantiles);
    assert.deepEqual(fresh, { ...fresh, count: 300, min: 0, max: 4 });

    // A session that saw the change on disk (the watcher) asks again, and never gets the old one either.
    const mtime2 = statSync(csv).mtime;
    writeFileSync(csv, `${csvText(10)}9,a\n`); // one row more, the same mtime as the version just kept
    utimesSync(csv, mtime2, mtime2);
    await third.session.changed();
    await third.view(2, VIEW);
    const grown = await third.summary(2, 'x');
    assert.equal(grown.count, 301);
    await third.close();
  });
});
