import * as assert from 'node:assert/strict';
import { EMPTY_VIEW, type DatasetView } from '../../src/data/datasetSource';
import { KernelDatasetSource } from '../../src/data/kernel/kernelDatasetSource';
import { execute } from '../../src/kernels/execution';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { startJupyter, type JupyterFixture } from '../support/jupyterHarness';
import { kernelRssMb, LARGE_FRAME_CELL, LARGE_FRAME_ROWS } from '../support/largeFrame';

// A 10-million-row pandas DataFrame in a real kernel: the first page, a sort and a filter over
// the whole frame, paging a sorted view without sorting again, and the kernel's memory afterwards.

const signal = (): AbortSignal => AbortSignal.timeout(120_000);

async function cellText(kernel: KernelConnection, code: string): Promise<string> {
  const run = execute(kernel, code);
  await run.done;
  const error = run.outputs.outputs.find((o) => o.type === 'error');
  assert.equal(error, undefined, JSON.stringify(error));
  return run.outputs.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join('').trim();
}

describe('Kernel data: a 10-million-row pandas DataFrame', function () {
  this.timeout(300_000);
  let jupyter: JupyterFixture;
  let kernel: KernelConnection;

  before(async () => {
    jupyter = await startJupyter();
    kernel = await jupyter.start();
    await cellText(kernel, LARGE_FRAME_CELL);
  });
  after(async () => {
    await jupyter?.close();
  });

  it('pages, sorts and filters in the kernel with bounded memory growth', async () => {
    const rssBefore = await kernelRssMb(kernel);
    const source = await KernelDatasetSource.open(kernel, 'big', signal());

    let t = performance.now();
    const info = await source.info(EMPTY_VIEW, signal());
    const first = await source.rows(EMPTY_VIEW, 0, 100, signal());
    const firstMs = performance.now() - t;
    assert.equal(info.totalRows, LARGE_FRAME_ROWS);
    assert.equal(first.rows.length, 100);
    assert.deepEqual(first.rows.slice(0, 3).map((r) => r[0]), [0, 1, 2]);
    assert.equal(first.rows[0]![1], null, 'every 100th x is NaN');
    const last = await source.rows(EMPTY_VIEW, LARGE_FRAME_ROWS - 2, 100, signal());
    assert.deepEqual(last.rows.map((r) => r[0]), [LARGE_FRAME_ROWS - 2, LARGE_FRAME_ROWS - 1]);

    // Sort by x descending, NaNs last; then page the sorted view (the kernel's cached positions).
    const sorted: DatasetView = { filters: [], sort: [{ column: 'x', descending: true }] };
    t = performance.now();
    const top = await source.rows(sorted, 0, 5, signal());
    const sortMs = performance.now() - t;
    t = performance.now();
    const tail = await source.rows(sorted, LARGE_FRAME_ROWS - 3, 3, signal());
    const pageMs = performance.now() - t;
    assert.deepEqual(tail.rows.map((r) => r[1]), [null, null, null]);
    assert.ok(pageMs < sortMs / 4, `paging a sorted view (${pageMs.toFixed(0)} ms) sorted again (sort took ${sortMs.toFixed(0)} ms)`);
    const sortedRss = await kernelRssMb(kernel);

    // Filter: a range and a category, AND.
    const filtered: DatasetView = { filters: [{ column: 'x', op: 'range', min: 2, max: 3 }, { column: 'g', op: 'equals', value: 'c3' }], sort: [] };
    t = performance.now();
    const filteredInfo = await source.info(filtered, signal());
    const filterMs = performance.now() - t;
    const page = await source.rows(filtered, 0, 50, signal());
    for (const row of page.rows) assert.ok((row[1] as number) >= 2 && (row[1] as number) <= 3 && row[2] === 'c3', JSON.stringify(row));
    const summary = await source.summarize('x', filtered, signal());
    assert.equal(summary.count, filteredInfo.viewRows);
    assert.ok((summary.min as number) >= 2 && (summary.max as number) <= 3);
    const rssAfter = await kernelRssMb(kernel);
    await source.dispose();
    const rssDisposed = await kernelRssMb(kernel);
    console.log(
      `      first page ${firstMs.toFixed(0)} ms, sort ${sortMs.toFixed(0)} ms, sorted page ${pageMs.toFixed(0)} ms, filter ${filterMs.toFixed(0)} ms; ` +
        `kernel RSS ${rssBefore.toFixed(0)} MB, sorted view held ${sortedRss.toFixed(0)} MB, filtered ${rssAfter.toFixed(0)} MB, closed ${rssDisposed.toFixed(0)} MB`,
    );
    // The sorted view holds 10 million int32 positions (40 MB) while it is shown.
    assert.ok(sortedRss - rssBefore < 60, `the kernel grew by ${(sortedRss - rssBefore).toFixed(1)} MB with the sorted view`);
    assert.ok(rssAfter - rssBefore < 50, `the kernel grew by ${(rssAfter - rssBefore).toFixed(1)} MB`);

    // What pandas itself gives (checked after the measurements: these cells make their own copies).
    const expectedTop = await cellText(kernel, 'print(list(big.sort_values("x", ascending=False, kind="stable").id.iloc[:5]))');
    assert.equal(JSON.stringify(top.rows.map((r) => r[0])), expectedTop.replace(/ /g, ''));
    const expected = Number(await cellText(kernel, 'print(int(((big.x >= 2) & (big.x <= 3) & (big.g == "c3")).sum()))'));
    assert.equal(filteredInfo.viewRows, expected);
    assert.ok(expected > 1000);
  });
});
