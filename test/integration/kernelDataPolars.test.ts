import * as assert from 'node:assert/strict';
import { copyAsCode } from '../../src/data/copyAsCode';
import { EMPTY_VIEW, type DatasetView } from '../../src/data/datasetSource';
import { KernelDatasetSource } from '../../src/data/kernel/kernelDatasetSource';
import { execute } from '../../src/kernels/execution';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { startJupyter, type JupyterFixture } from '../support/jupyterHarness';

// The polars path of KernelDatasetSource against a real kernel. Debian 12 has no polars package
// and PyPI is not reachable from CI, so this runs only where the kernel's Python imports polars
// (here: PYTHONPATH pointing at polars installed from a local wheel); elsewhere it says so and skips.

const SETUP = String.raw`
import datetime, polars as pl
pf = pl.DataFrame({
    "id": list(range(8)),
    "score": [0.5, None, 2.5, 1.5, float("nan"), 0.5, 3.0, 1.5],
    "city": pl.Series(["b", "a", None, "c", "a", "b", "a", "c"], dtype=pl.Categorical),
    "big": [2**60, -2**60, 9007199254740993, 1, 2, 3, 4, 5],
    "when": [datetime.datetime(2024, 1, 2, 3, 4, 5), None, datetime.datetime(2023, 5, 6), datetime.datetime(2024, 2, 1), datetime.datetime(2022, 1, 1), None, datetime.datetime(2024, 1, 1), datetime.datetime(2020, 12, 31)],
    "label": ["yes", "no", "no", "yes", "no", "no", "no", None],
})
ties = pl.DataFrame({"v": ["z", "z", "y", "y", "x"]})
`;

const ac = (): AbortSignal => new AbortController().signal;
const view = (v: Partial<DatasetView>): DatasetView => ({ ...EMPTY_VIEW, ...v });

describe('Kernel data: polars DataFrames in a real kernel', function () {
  this.timeout(120_000);
  let jupyter: JupyterFixture;
  let kernel: KernelConnection;

  before(async function () {
    jupyter = await startJupyter();
    kernel = await jupyter.start();
    const setup = execute(kernel, SETUP);
    await setup.done;
    const error = setup.outputs.outputs.find((o) => o.type === 'error');
    if (error && /No module named 'polars'/.test(JSON.stringify(error))) {
      console.log('      polars is not importable in the test kernel (not in Debian 12; set PYTHONPATH to a polars install to run these)');
      this.skip();
    }
    assert.equal(error, undefined, JSON.stringify(error));
  });
  after(async () => {
    await jupyter?.close();
  });

  const ids = async (source: KernelDatasetSource, v: DatasetView): Promise<unknown[]> => (await source.rows(v, 0, 100, ac())).rows.map((r) => r[0]);

  it('describes, pages and converts cells', async () => {
    const source = await KernelDatasetSource.open(kernel, 'pf', ac());
    assert.equal(source.library, 'polars');
    const info = await source.info(EMPTY_VIEW, ac());
    assert.deepEqual(info.columns.map((c) => `${c.name}:${c.kind}`), ['id:integer', 'score:float', 'city:string', 'big:integer', 'when:timestamp', 'label:string']);
    assert.equal(info.totalRows, 8);
    assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 2, ac())).rows, [
      [0, 0.5, 'b', '1152921504606846976', '2024-01-02 03:04:05', 'yes'],
      [1, null, 'a', '-1152921504606846976', null, 'no'],
    ]);
    assert.deepEqual((await source.rows(EMPTY_VIEW, 4, 1, ac())).rows[0]?.[1], null, 'NaN crosses as null');
    await source.dispose();
  });

  it('sorts stably with nulls last both ways, and filters (AND)', async () => {
    const source = await KernelDatasetSource.open(kernel, 'pf', ac());
    assert.deepEqual(await ids(source, view({ sort: [{ column: 'id', descending: true }] })), [7, 6, 5, 4, 3, 2, 1, 0]);
    const byWhen = await ids(source, view({ sort: [{ column: 'when', descending: false }] }));
    assert.deepEqual(byWhen, [7, 4, 2, 6, 0, 3, 1, 5]);
    const byWhenDesc = await ids(source, view({ sort: [{ column: 'when', descending: true }] }));
    assert.deepEqual(byWhenDesc, [3, 0, 6, 2, 4, 7, 1, 5]);
    assert.deepEqual(await ids(source, view({ sort: [{ column: 'label', descending: false }, { column: 'id', descending: true }] })), [6, 5, 4, 2, 1, 3, 0, 7]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'score', op: 'range', min: 1, max: 2.5 }] })), [2, 3, 7]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'city', op: 'equals', value: 'a' }, { column: 'label', op: 'equals', value: 'no' }] })), [1, 4, 6]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'label', op: 'contains', text: 'YE' }] })), [0, 3]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'score', op: 'isNull' }] })), [1, 4]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'when', op: 'range', min: '2024-01-01', max: '2024-12-31' }] })), [0, 3, 6]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'big', op: 'equals', value: '9007199254740993' }] })), [2]);
    assert.deepEqual(await ids(source, view({ filters: [{ column: 'city', op: 'topK', k: 1 }] })), [1, 4, 6]);
    const ties = await KernelDatasetSource.open(kernel, 'ties', ac());
    assert.deepEqual((await ties.rows(view({ filters: [{ column: 'v', op: 'topK', k: 1 }] }), 0, 10, ac())).rows, [['y'], ['y']], 'a tie is broken by value');
    await ties.dispose();
    await source.dispose();
  });

  it("gives the rows Copy as Code's polars gives, run in the same kernel", async () => {
    const source = await KernelDatasetSource.open(kernel, 'pf', ac());
    const views: DatasetView[] = [
      view({ sort: [{ column: 'when', descending: true }] }),
      view({ sort: [{ column: 'label', descending: false }, { column: 'id', descending: true }] }),
      view({ filters: [{ column: 'score', op: 'range', min: 0.5, max: 2 }, { column: 'label', op: 'contains', text: 'E' }] }),
      view({ filters: [{ column: 'city', op: 'topK', k: 2 }, { column: 'when', op: 'isNull', negate: true }] }),
    ];
    for (const v of views) {
      const info = await source.info(v, ac());
      const ours = (await source.rows(v, 0, 100, ac())).rows.map((r) => r[0]);
      const code = copyAsCode(source.origin, v, 'polars', info.columns);
      const run = execute(kernel, `import json as _json\n_ns = dict(globals())\nexec(${JSON.stringify(code)}, _ns)\nprint(_json.dumps(_ns["df"]["id"].to_list()))\ndel _ns, _json`);
      await run.done;
      assert.equal(run.outputs.outputs.find((o) => o.type === 'error'), undefined, `${JSON.stringify(run.outputs.outputs)}\n${code}`);
      // stdout only: polars 1.44 warns on stderr about the generated top-k's is_in (see the report).
      const printed = run.outputs.outputs.map((o) => (o.type === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
      assert.deepEqual(ours, JSON.parse(printed), `${JSON.stringify(v)}\n${code}`);
    }
    await source.dispose();
  });

  it('summarizes and counts labels', async () => {
    const source = await KernelDatasetSource.open(kernel, 'pf', ac());
    const score = await source.summarize('score', EMPTY_VIEW, ac());
    assert.equal(score.count, 8);
    assert.equal(score.nulls, 2);
    assert.equal(score.distinct, 4);
    assert.equal(score.min, 0.5);
    assert.equal(score.max, 3);
    assert.equal(score.histogram?.counts.reduce((a, b) => a + b, 0), 6);
    const city = await source.summarize('city', EMPTY_VIEW, ac());
    assert.deepEqual(city.topValues?.[0], { value: 'a', count: 3 });
    const when = await source.summarize('when', EMPTY_VIEW, ac());
    assert.equal(when.min, '2020-12-31 00:00:00');
    assert.deepEqual(await source.labelBalance('label', EMPTY_VIEW, 1, ac()), { column: 'label', classes: [{ value: 'no', count: 5 }], otherCount: 2, nulls: 1 });
    await source.dispose();
  });
});
