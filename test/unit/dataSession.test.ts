import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowsAsTsv } from '../../src/data/clipboardText';
import type { Cell, ColumnSummary, DatasetInfo, DatasetPage, DatasetSource, DatasetView, LabelBalance } from '../../src/data/datasetSource';
import { DatasetSession } from '../../src/data/datasetSession';
import { UserError } from '../../src/common/errors';
import { fileVersion, SummaryStore } from '../../src/data/summaryStore';
import { eventually } from '../support/eventually';
import { parseFromDataView, type FromDataView, type ToDataView } from '../../src/data/protocol';

// The host's side of a Dataset grid (src/data/datasetSession.ts) against a small table held in
// this test: what it answers, what it cancels, what it drops. The engine's own source is tested
// by its tests (test/unit|integration/data*); this is the viewer's protocol.

const abortError = (): Error => Object.assign(new Error('aborted'), { name: 'AbortError' });

/** Rows in memory; `hold` keeps rows() calls waiting until released (or aborted), to see cancellation. */
class TableSource implements DatasetSource {
  readonly origin = { kind: 'file', path: '/data/t.csv', format: 'csv' } as const;
  readonly aborted: number[] = [];
  hold = false;
  private readonly waiting: (() => void)[] = [];
  summarizeCalls = 0;
  version = 'v1';

  constructor(private readonly data: readonly (readonly Cell[])[]) {}

  private view(view: DatasetView): (readonly Cell[])[] {
    let rows = this.data.filter((r) => view.filters.every((f) => f.op === 'equals' && r[f.column === 'id' ? 0 : 1] === f.value));
    const key = view.sort[0];
    if (key) {
      const i = key.column === 'id' ? 0 : 1;
      rows = [...rows].sort((a, b) => (String(a[i]) < String(b[i]) ? -1 : 1) * (key.descending ? -1 : 1));
    }
    return rows;
  }

  info(view: DatasetView): Promise<DatasetInfo> {
    if (view.filters.some((f) => f.op === 'contains')) return Promise.reject(new UserError('t.csv: contains is not supported here'));
    return Promise.resolve({ label: 't.csv', columns: [{ name: 'id', type: 'BIGINT', kind: 'integer' }, { name: 'name', type: 'VARCHAR', kind: 'string' }], totalRows: this.data.length, viewRows: this.view(view).length, version: this.version });
  }

  async rows(view: DatasetView, offset: number, limit: number, signal: AbortSignal): Promise<DatasetPage> {
    if (this.hold) {
      await new Promise<void>((resolve, reject) => {
        this.waiting.push(resolve);
        signal.addEventListener('abort', () => {
          this.aborted.push(offset);
          reject(abortError());
        });
      });
    }
    return { offset, rows: this.view(view).slice(offset, offset + limit) };
  }

  release(): void {
    for (const go of this.waiting.splice(0)) go();
  }

  summarize(column: string, view: DatasetView): Promise<ColumnSummary> {
    this.summarizeCalls++;
    const n = this.view(view).length;
    return Promise.resolve({ column, kind: 'integer', type: 'BIGINT', count: n, nulls: 0, distinct: n, distinctApproximate: false });
  }

  labelBalance(column: string): Promise<LabelBalance> {
    return Promise.resolve({ column, classes: [{ value: 'a', count: 2 }], otherCount: 0, nulls: 0 });
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

const DATA: Cell[][] = [
  [1, 'b'],
  [2, 'a\tx'],
  [3, 'c'],
  [4, 'a'],
];

function session(source = new TableSource(DATA), store?: SummaryStore) {
  const sent: ToDataView[] = [];
  const clipboard: string[] = [];
  const faults: string[] = [];
  const s = new DatasetSession(source, { title: 't.csv', kind: 'file', canCompare: false, canCopyCode: true }, (m) => void sent.push(m), {
    writeClipboard: (text) => Promise.resolve(void clipboard.push(text)),
    copyAsCode: (origin, view, language, columns) => `${language}:${origin.kind}:${JSON.stringify(view.sort)}:${columns.map((c) => c.kind).join(',')}`,
    logFault: (m) => void faults.push(m),
  }, store);
  const send = (m: FromDataView): Promise<void> => s.handle(parseFromDataView(m)!);
  return { s, sent, clipboard, faults, source, send };
}

const view0: DatasetView = { filters: [], sort: [] };

describe('Dataset grid: the host side (DatasetSession)', () => {
  it('answers the view, then pages of it, sorted and filtered as the view says', async () => {
    const { sent, send } = session();
    await send({ type: 'ready' });
    await send({ type: 'view', gen: 1, view: { filters: [], sort: [{ column: 'name', descending: false }] } });
    await send({ type: 'rows', gen: 1, id: 7, offset: 0, limit: 2 });
    assert.deepEqual(sent.map((m) => m.type), ['heading', 'info', 'page']);
    const info = sent[1] as Extract<ToDataView, { type: 'info' }>;
    assert.equal(info.info.viewRows, 4);
    assert.deepEqual(sent[2], { type: 'page', gen: 1, id: 7, page: { offset: 0, rows: [[4, 'a'], [2, 'a\tx']] } });
    await send({ type: 'view', gen: 2, view: { filters: [{ column: 'name', op: 'equals', value: 'c' }], sort: [] } });
    assert.equal((sent.at(-1) as Extract<ToDataView, { type: 'info' }>).info.viewRows, 1);
  });

  it('sends the rows read so far first when the source can say them before counting, then the count', async () => {
    const source = new TableSource(DATA);
    let counted!: () => void;
    const counting = new Promise<void>((resolve) => (counted = resolve));
    const exactInfo = source.info.bind(source);
    source.info = async (view) => {
      await counting;
      return exactInfo(view);
    };
    const quick = async (view: DatasetView): Promise<DatasetInfo> => ({ ...(await exactInfo(view)), totalRows: 2, viewRows: 2, rowsExact: false });
    Object.assign(source, { quickInfo: quick });
    const { sent, send } = session(source);
    const viewed = send({ type: 'view', gen: 1, view: view0 });
    for (let i = 0; i < 20 && sent.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent.map((m) => m.type), ['info'], 'the quick answer goes before the count is done');
    assert.equal((sent[0] as Extract<ToDataView, { type: 'info' }>).info.rowsExact, false);
    counted();
    await viewed;
    const infos = sent.filter((m): m is Extract<ToDataView, { type: 'info' }> => m.type === 'info');
    assert.deepEqual(infos.map((m) => [m.gen, m.info.viewRows, m.info.rowsExact]), [[1, 2, false], [1, 4, undefined]]);
  });

  it('an abort it did not ask for (a shared step another request cancelled) is tried again, then said: never "Applying…" for ever', async () => {
    const source = new TableSource(DATA);
    const exactInfo = source.info.bind(source);
    let failures = 1;
    source.info = (view) => (failures-- > 0 ? Promise.reject(abortError()) : exactInfo(view));
    const { sent, send } = session(source);
    await send({ type: 'view', gen: 1, view: view0 });
    assert.deepEqual(sent.map((m) => m.type), ['info']);
    failures = 10;
    await send({ type: 'view', gen: 2, view: { filters: [], sort: [{ column: 'id', descending: true }] } });
    assert.deepEqual(sent.map((m) => m.type), ['info', 'failed']);
    assert.match((sent[1] as Extract<ToDataView, { type: 'failed' }>).message, /stopped this request/);
    source.rows = () => Promise.reject(abortError());
    await send({ type: 'rows', gen: 2, id: 1, offset: 0, limit: 2 });
    assert.deepEqual(sent.map((m) => m.type), ['info', 'failed', 'failed']);
  });

  it('cancels a page the page no longer needs, and every page of a view it left', async () => {
    const { source, sent, send } = session();
    await send({ type: 'view', gen: 1, view: view0 });
    source.hold = true;
    const a = send({ type: 'rows', gen: 1, id: 1, offset: 0, limit: 2 });
    const b = send({ type: 'rows', gen: 1, id: 2, offset: 2, limit: 2 });
    await send({ type: 'cancel', ids: [1] });
    await a;
    assert.deepEqual(source.aborted, [0]);
    // A new view stops what the old one asked for; its answers never go.
    source.hold = false;
    await send({ type: 'view', gen: 2, view: { filters: [], sort: [{ column: 'id', descending: true }] } });
    await b;
    assert.deepEqual(source.aborted, [0, 2]);
    assert.deepEqual(sent.filter((m) => m.type === 'page'), []);
  });

  it('ignores requests for a view it has left and views older than the current one', async () => {
    const { sent, send } = session();
    await send({ type: 'view', gen: 5, view: view0 });
    await send({ type: 'view', gen: 3, view: { filters: [{ column: 'id', op: 'equals', value: 1 }], sort: [] } });
    await send({ type: 'rows', gen: 3, id: 1, offset: 0, limit: 10 });
    assert.deepEqual(sent.map((m) => m.type), ['info']);
  });

  it('says why a view cannot be applied (the source rejects it), and logs only faults that are ours', async () => {
    const { sent, faults, send } = session();
    await send({ type: 'view', gen: 1, view: { filters: [{ column: 'name', op: 'contains', text: 'a' }], sort: [] } });
    assert.deepEqual(sent, [{ type: 'failed', gen: 1, message: 't.csv: contains is not supported here' }]);
    assert.deepEqual(faults, []);
  });

  it('caches a summary per file version and view, and computes it again when the data changed', async () => {
    const { source, sent, send, s } = session();
    await send({ type: 'view', gen: 1, view: view0 });
    await send({ type: 'summarize', gen: 1, id: 1, column: 'id' });
    await send({ type: 'summarize', gen: 1, id: 2, column: 'id' });
    assert.equal(source.summarizeCalls, 1);
    assert.equal(sent.filter((m) => m.type === 'summary').length, 2);
    source.version = 'v2';
    await s.changed();
    assert.equal(sent.at(-1)!.type, 'changed');
    await send({ type: 'view', gen: 2, view: view0 });
    await send({ type: 'summarize', gen: 2, id: 3, column: 'id' });
    assert.equal(source.summarizeCalls, 2);
  });

  it('keeps summaries in the store for a file once its exact info is in, and a kernel frame never', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'session-store-'));
    try {
      const path = join(dir, 't.csv');
      writeFileSync(path, 'id,name\n1,b\n');
      const store = new SummaryStore(join(dir, 'store'));
      const fileSource = async (): Promise<TableSource> => {
        const source = new TableSource(DATA);
        Object.defineProperty(source, 'origin', { value: { kind: 'file', path, format: 'csv' } });
        source.version = (await fileVersion(path))!;
        return source;
      };
      /** The source answers a quick info (another type) at once and its exact info when `counted` is called. */
      const counting = (source: TableSource): (() => void) => {
        let counted!: () => void;
        const gate = new Promise<void>((resolve) => (counted = resolve));
        const exactInfo = source.info.bind(source);
        source.info = async (view) => (await gate, exactInfo(view));
        const quick = async (view: DatasetView): Promise<DatasetInfo> => ({ ...(await exactInfo(view)), columns: [{ name: 'id', type: 'VARCHAR', kind: 'string' }], rowsExact: false });
        Object.assign(source, { quickInfo: quick });
        return counted;
      };
      const first = await fileSource();
      const one = session(first, store);
      await one.send({ type: 'view', gen: 1, view: view0 });
      await one.send({ type: 'summarize', gen: 1, id: 1, column: 'id' });
      assert.equal(first.summarizeCalls, 1);
      const key = { path, version: first.version, filters: [], column: 'id', type: 'BIGINT', textColumns: [] };
      await eventually('the summary in the store', () => store.get(key), (s) => s !== undefined);
      // Another grid on the file, its summary asked while only the quick info is in: from the store once the exact one is, the source never asked.
      const second = await fileSource();
      const counted = counting(second);
      const two = session(second, new SummaryStore(join(dir, 'store')));
      const viewed = two.send({ type: 'view', gen: 1, view: { filters: [], sort: [{ column: 'id', descending: true }] } });
      const summarized = two.send({ type: 'summarize', gen: 1, id: 1, column: 'id' });
      await eventually('the quick info', () => two.sent.length, (n) => n > 0);
      counted();
      await Promise.all([viewed, summarized]);
      assert.equal(second.summarizeCalls, 0);
      assert.deepEqual(two.sent.at(-1), one.sent.find((m) => m.type === 'summary'));
      // A kernel frame's version is its execution count: nothing kept, nothing read.
      const kernel = new TableSource(DATA);
      Object.defineProperty(kernel, 'origin', { value: { kind: 'kernel', variable: 'df', library: 'pandas' } });
      const kernelStore = join(dir, 'kernel-store');
      const three = session(kernel, new SummaryStore(kernelStore));
      await three.send({ type: 'view', gen: 1, view: view0 });
      await three.send({ type: 'summarize', gen: 1, id: 1, column: 'id' });
      assert.equal(kernel.summarizeCalls, 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(existsSync(kernelStore), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copies rows as tab-separated text from the source (the host writes the clipboard), a cell as it is', async () => {
    const { clipboard, sent, send } = session();
    await send({ type: 'view', gen: 1, view: view0 });
    await send({ type: 'copyRows', gen: 1, offset: 0, count: 2, columns: null, header: true });
    assert.deepEqual(clipboard, ['id\tname\n1\tb\n2\t"a\tx"']);
    await send({ type: 'copyRows', gen: 1, offset: 1, count: 1, columns: ['name'], header: false });
    assert.equal(clipboard[1], 'a\tx');
    assert.deepEqual(sent.filter((m) => m.type === 'notice').map((m) => (m as { text: string }).text), ['Copied 2 rows', 'Copied the cell']);
  });

  it('a selection bigger than a copy takes: says only the first rows were copied, of how many', async () => {
    const { clipboard, sent, send } = session();
    await send({ type: 'view', gen: 1, view: view0 });
    // The page caps count at MAX_COPY_ROWS and sends the selection's size (here 1,000,000; the source holds 2 rows).
    await send({ type: 'copyRows', gen: 1, offset: 0, count: 2, selected: 1_000_000, columns: null, header: false });
    assert.deepEqual(clipboard, ['1\tb\n2\t"a\tx"']);
    assert.deepEqual(sent.filter((m) => m.type === 'notice').map((m) => (m as { text: string }).text), ['Copied the first 2 of 1,000,000 selected rows (a copy stops at 10,000; Copy as Code reads them all)']);
    assert.deepEqual(parseFromDataView({ type: 'copyRows', gen: 1, offset: 0, count: 10_000, selected: 1_000_000, columns: null, header: false })?.type, 'copyRows');
  });

  it('copies the code for the current view, given the columns', async () => {
    const { clipboard, send } = session();
    await send({ type: 'view', gen: 1, view: { filters: [], sort: [{ column: 'id', descending: true }] } });
    await send({ type: 'copyCode', gen: 1, language: 'polars' });
    assert.deepEqual(clipboard, ['polars:file:[{"column":"id","descending":true}]:integer,string'], 'the code for the view, with the column kinds for typed literals');
  });

  it('does nothing after the grid closed', async () => {
    const { s, sent, send } = session();
    s.dispose();
    await send({ type: 'ready' });
    assert.deepEqual(sent, []);
  });
});

describe('Dataset grid: messages from the page (protocol.ts)', () => {
  it('accepts what the page sends', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'view', gen: 1, view: { filters: [{ column: 'a', op: 'range', min: 1 }, { column: 'b', op: 'topK', k: 5 }, { column: 'c', op: 'isNull', negate: true }], sort: [{ column: 'a', descending: true }] } },
      { type: 'rows', gen: 1, id: 2, offset: 9_999_999, limit: 200 },
      { type: 'copyRows', gen: 1, offset: 0, count: 1, columns: ['a'], header: false },
      { type: 'copyCode', gen: 1, language: 'sql' },
    ]) assert.deepEqual(parseFromDataView(m), m);
  });

  it('refuses anything else: unknown types and fields, huge pages and copies, negative offsets, code to run', () => {
    for (const m of [
      { type: 'rows', gen: 1, id: 2, offset: 0, limit: 100_000 },
      { type: 'rows', gen: 1, id: 2, offset: -1, limit: 10 },
      { type: 'rows', gen: 1, id: 2.5, offset: 0, limit: 10 },
      { type: 'copyRows', gen: 1, offset: 0, count: 1_000_000, columns: null, header: false },
      { type: 'copyCode', gen: 1, language: 'python; import os' },
      { type: 'view', gen: 1, view: { filters: [{ column: 'a', op: 'sql', text: '1=1' }], sort: [] } },
      { type: 'view', gen: 1, view: { filters: [], sort: [], extra: 1 } },
      { type: 'write', text: 'x' },
      'ready',
      null,
    ]) assert.equal(parseFromDataView(m), undefined, JSON.stringify(m));
  });
});

describe('Dataset grid: copied text (clipboardText.ts)', () => {
  it('quotes only fields with tabs, line breaks or quotes, and writes NULL as empty', () => {
    assert.equal(rowsAsTsv(['a', 'b'], [[1, null], ['say "hi"', 'x\ny'], [true, 2.5]]), 'a\tb\n1\t\n"say ""hi"""\t"x\ny"\ntrue\t2.5');
    assert.equal(rowsAsTsv(undefined, [['a\tb']]), 'a\tb');
  });
});
