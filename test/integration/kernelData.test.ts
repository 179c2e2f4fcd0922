import * as assert from 'node:assert/strict';
import { copyAsCode } from '../../src/data/copyAsCode';
import { EMPTY_VIEW, type DatasetView } from '../../src/data/datasetSource';
import { onCellsRan } from '../../src/data/kernel/cellActivity';
import { HELPER_MODULE, removeKernelHelper } from '../../src/data/kernel/kernelHelper';
import { KernelDatasetSource } from '../../src/data/kernel/kernelDatasetSource';
import { execute } from '../../src/kernels/execution';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { startJupyter, waitFor, type JupyterFixture } from '../support/jupyterHarness';

// KernelDatasetSource against a real ipykernel with Debian's pandas and numpy: paging, sort and
// filter done by pandas in the kernel, summaries, awkward cells, a variable deleted or rebound,
// and the user's history, execution count and namespace left as they were.

const SETUP = String.raw`
import numpy as np, pandas as pd
df = pd.DataFrame({
    "id": np.arange(10, dtype=np.int64),
    "score": [0.5, np.nan, 2.5, 1.5, np.nan, 0.5, 3.0, 1.5, 0.25, 2.0],
    "city": pd.Categorical(["b", "a", None, "c", "a", "b", "a", "c", None, "a"]),
    "big": np.array([2**60, -2**60, 9007199254740993, 1, 2, 3, 4, 5, 6, 7], dtype=np.int64),
    "when": pd.to_datetime(["2024-01-02 03:04:05", None, "2023-05-06", "2024-02-01", "2022-01-01", None, "2024-01-01", "2020-12-31 23:59:59", "2021-06-01", "2025-01-01"]),
    "label": ["yes", "no", "no", "yes", "no", "no", "no", "yes", None, "no"],
    "f32": np.array([0.1, 0.2, np.nan, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5], dtype=np.float32),
    "flag": [True, False, True, True, False, False, True, False, True, False],
})
wide = pd.DataFrame(np.arange(12).reshape(4, 3), columns=["a", "a", 7])
arr = np.array([[3.0, 1.0], [1.0, np.nan], [2.0, 5.0], [1.0, 0.0]])
vec = np.arange(5, dtype=np.int16)
doomed = pd.DataFrame({"x": [1, 2, 3]})
rebound = pd.DataFrame({"x": [1, 2, 3]})
text = "not a frame"
ties = pd.DataFrame({"v": ["z", "z", "y", "y", "x"]})
`;

const ac = (): AbortSignal => new AbortController().signal;
const view = (v: Partial<DatasetView>): DatasetView => ({ ...EMPTY_VIEW, ...v });

describe('Kernel data: DataFrames and arrays in a real kernel, paged by silent requests', function () {
  this.timeout(120_000);
  let jupyter: JupyterFixture;
  let kernel: KernelConnection;
  let countAfterSetup: number;

  before(async () => {
    jupyter = await startJupyter();
    kernel = await jupyter.start();
    const setup = execute(kernel, SETUP);
    await setup.done;
    assert.deepEqual(setup.outputs.outputs.filter((o) => o.type === 'error'), [], 'the setup cell failed: is python3-pandas installed?');
    countAfterSetup = setup.outputs.executionCount!;
  });
  after(async () => {
    await jupyter?.close();
  });

  const cellOutput = async (code: string): Promise<string> => {
    const run = execute(kernel, code);
    await run.done;
    assert.equal(run.outputs.outputs.find((o) => o.type === 'error'), undefined, JSON.stringify(run.outputs.outputs));
    return run.outputs.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join('');
  };

  const column = async (source: KernelDatasetSource, v: DatasetView, name: string): Promise<unknown[]> => {
    const info = await source.info(v, ac());
    const j = info.columns.findIndex((c) => c.name === name);
    return (await source.rows(v, 0, 1000, ac())).rows.map((r) => r[j]);
  };

  it('describes a DataFrame: columns with pandas dtypes and kinds, rows, a version from the execution count', async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    assert.deepEqual(source.origin, { kind: 'kernel', variable: 'df', library: 'pandas' });
    const info = await source.info(EMPTY_VIEW, ac());
    assert.equal(info.label, 'df');
    assert.equal(info.totalRows, 10);
    assert.equal(info.viewRows, 10);
    assert.equal(info.fileBytes, undefined);
    assert.deepEqual(
      info.columns.map((c) => `${c.name}:${c.type}:${c.kind}`),
      ['id:int64:integer', 'score:float64:float', 'city:category:string', 'big:int64:integer', 'when:datetime64[ns]:timestamp', 'label:object:string', 'f32:float32:float', 'flag:bool:boolean'],
    );
    assert.match(info.version, new RegExp(`^[0-9a-f]{12}:${countAfterSetup + 1}$`));
    await source.dispose();
  });

  it('pages with JSON-safe cells: int64 beyond 2^53 as text, datetimes as text, categories, NaN/None/NaT as null', async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    const page = await source.rows(EMPTY_VIEW, 0, 3, ac());
    assert.equal(page.offset, 0);
    assert.deepEqual(page.rows, [
      [0, 0.5, 'b', '1152921504606846976', '2024-01-02 03:04:05', 'yes', 0.1, true],
      [1, null, 'a', '-1152921504606846976', null, 'no', 0.2, false],
      [2, 2.5, null, '9007199254740993', '2023-05-06 00:00:00', 'no', null, true],
    ]);
    // 2^53 + 1 is not a double: it crossed as text, exact.
    const later = await source.rows(EMPTY_VIEW, 8, 100, ac());
    assert.equal(later.offset, 8);
    assert.deepEqual(later.rows.map((r) => r[0]), [8, 9]);
    assert.deepEqual(later.rows[0]![5], null);
    assert.deepEqual((await source.rows(EMPTY_VIEW, 50, 10, ac())).rows, []);
    await source.dispose();
  });

  it('sorts in the kernel: stable, nulls last in both directions, several keys', async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    assert.deepEqual(await column(source, view({ sort: [{ column: 'score', descending: false }] }), 'id'), [8, 0, 5, 3, 7, 9, 2, 6, 1, 4]);
    // Descending keeps ties in the frame's order (3 before 7, 0 before 5) and nulls last.
    assert.deepEqual(await column(source, view({ sort: [{ column: 'score', descending: true }] }), 'id'), [6, 2, 9, 3, 7, 0, 5, 8, 1, 4]);
    assert.deepEqual(
      await column(source, view({ sort: [{ column: 'label', descending: false }, { column: 'score', descending: true }] }), 'id'),
      [6, 2, 9, 5, 1, 4, 3, 7, 0, 8],
    );
    const byWhen = await column(source, view({ sort: [{ column: 'when', descending: true }] }), 'when');
    assert.deepEqual(byWhen.slice(0, 2), ['2025-01-01 00:00:00', '2024-02-01 00:00:00']);
    assert.deepEqual(byWhen.slice(-2), [null, null]);
    await source.dispose();
  });

  it('filters in the kernel (AND): range, equals, contains, is null, top-k, on categories and dates too', async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    const ids = (filters: DatasetView['filters']): Promise<unknown[]> => column(source, view({ filters }), 'id');
    assert.deepEqual(await ids([{ column: 'score', op: 'range', min: 1, max: 2.5 }]), [2, 3, 7, 9]);
    assert.deepEqual(await ids([{ column: 'city', op: 'equals', value: 'a' }]), [1, 4, 6, 9]);
    assert.deepEqual(await ids([{ column: 'city', op: 'equals', value: 'a' }, { column: 'score', op: 'isNull', negate: true }]), [6, 9]);
    assert.deepEqual(await ids([{ column: 'label', op: 'contains', text: 'ES' }]), [0, 3, 7]);
    assert.deepEqual(await ids([{ column: 'label', op: 'contains', text: 'ES', caseSensitive: true }]), []);
    assert.deepEqual(await ids([{ column: 'when', op: 'isNull' }]), [1, 5]);
    assert.deepEqual(await ids([{ column: 'when', op: 'range', min: '2024-01-01', max: '2024-12-31' }]), [0, 3, 6]);
    assert.deepEqual(await ids([{ column: 'big', op: 'equals', value: '9007199254740993' }]), [2]);
    assert.deepEqual(await ids([{ column: 'city', op: 'topK', k: 1 }]), [1, 4, 6, 9]);
    assert.deepEqual(await ids([{ column: 'city', op: 'contains', text: 'c' }]), [3, 7]);
    const filtered = view({ filters: [{ column: 'label', op: 'equals', value: 'no' }], sort: [{ column: 'score', descending: false }] });
    const info = await source.info(filtered, ac());
    assert.equal(info.viewRows, 6);
    assert.equal(info.totalRows, 10);
    // Paging the same view reads the cached positions: same rows, in pieces.
    const pieces = [...(await source.rows(filtered, 0, 4, ac())).rows, ...(await source.rows(filtered, 4, 4, ac())).rows].map((r) => r[0]);
    assert.deepEqual(pieces, [5, 9, 2, 6, 1, 4]);
    // A tie for the most frequent value (z and y twice each) is broken by value, as Copy as Code's pandas breaks it.
    const ties = await KernelDatasetSource.open(kernel, 'ties', ac());
    assert.deepEqual((await ties.rows(view({ filters: [{ column: 'v', op: 'topK', k: 1 }] }), 0, 10, ac())).rows, [['y'], ['y']]);
    await ties.dispose();
    await assert.rejects(source.rows(view({ filters: [{ column: 'nope', op: 'isNull' }] }), 0, 1, ac()), /there is no column nope/);
    await assert.rejects(source.rows(view({ filters: [{ column: 'when', op: 'range', min: 'yesterday-ish' }] }), 0, 1, ac()), /is not a value of column when/);
    await source.dispose();
  });

  it('summarizes a column in the kernel: nulls, distinct, min/max, mean/std, quantiles, histogram, top values', async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    const score = await source.summarize('score', EMPTY_VIEW, ac());
    assert.equal(score.count, 10);
    assert.equal(score.nulls, 2);
    assert.equal(score.distinct, 6);
    assert.equal(score.distinctApproximate, false);
    assert.equal(score.min, 0.25);
    assert.equal(score.max, 3);
    assert.ok(Math.abs(score.mean! - 1.46875) < 1e-12);
    assert.equal(score.quantiles?.find((q) => q.p === 0.5)?.value, 1.5);
    assert.equal(score.histogram?.edges.length, 21);
    assert.equal(score.histogram?.counts.reduce((a, b) => a + b, 0), 8);
    const city = await source.summarize('city', EMPTY_VIEW, ac());
    assert.equal(city.nulls, 2);
    assert.deepEqual(city.topValues?.[0], { value: 'a', count: 4 });
    const when = await source.summarize('when', EMPTY_VIEW, ac());
    assert.equal(when.min, '2020-12-31 23:59:59');
    assert.equal(when.max, '2025-01-01 00:00:00');
    assert.equal(when.histogram?.counts.reduce((a, b) => a + b, 0), 8);
    // Over the view only.
    const filtered = await source.summarize('score', view({ filters: [{ column: 'label', op: 'equals', value: 'yes' }] }), ac());
    assert.equal(filtered.count, 3);
    assert.equal(filtered.min, 0.5);
    const balance = await source.labelBalance('label', EMPTY_VIEW, 1, ac());
    assert.deepEqual(balance, { column: 'label', classes: [{ value: 'no', count: 6 }], otherCount: 3, nulls: 1 });
    await source.dispose();
  });

  it("gives the rows Copy as Code's pandas gives, run in the same kernel", async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    const views: DatasetView[] = [
      view({ sort: [{ column: 'score', descending: true }] }),
      view({ sort: [{ column: 'label', descending: false }, { column: 'when', descending: true }] }),
      view({ filters: [{ column: 'score', op: 'range', min: 0.5, max: 2 }, { column: 'label', op: 'contains', text: 'O' }] }),
      view({ filters: [{ column: 'city', op: 'topK', k: 2 }, { column: 'when', op: 'isNull', negate: true }], sort: [{ column: 'city', descending: true }] }),
      view({ filters: [{ column: 'flag', op: 'equals', value: true }], sort: [{ column: 'f32', descending: false }] }),
    ];
    for (const v of views) {
      const info = await source.info(v, ac());
      const ours = (await source.rows(v, 0, 100, ac())).rows.map((r) => r[0]);
      const code = copyAsCode(source.origin, v, 'pandas', info.columns);
      // Run in a copy of the namespace: the code rebinds df.
      const printed = await cellOutput(`import json as _json\n_ns = dict(globals())\nexec(${JSON.stringify(code)}, _ns)\nprint(_json.dumps(_ns["df"]["id"].tolist()))\ndel _ns, _json`);
      assert.deepEqual(ours, JSON.parse(printed), `${JSON.stringify(v)}\n${code}`);
    }
    await source.dispose();
  });

  it('opens numpy arrays (2-D and 1-D) and frames with repeated or non-text column names', async () => {
    const arr = await KernelDatasetSource.open(kernel, 'arr', ac());
    assert.equal(arr.library, 'numpy');
    const info = await arr.info(EMPTY_VIEW, ac());
    assert.deepEqual(info.columns.map((c) => `${c.name}:${c.kind}`), ['0:float', '1:float']);
    assert.deepEqual((await arr.rows(view({ sort: [{ column: '1', descending: true }] }), 0, 10, ac())).rows, [[2, 5], [3, 1], [1, 0], [1, null]]);
    const vec = await KernelDatasetSource.open(kernel, 'vec', ac());
    assert.deepEqual((await vec.rows(EMPTY_VIEW, 3, 10, ac())).rows, [[3], [4]]);
    const wide = await KernelDatasetSource.open(kernel, 'wide', ac());
    assert.deepEqual((await wide.info(EMPTY_VIEW, ac())).columns.map((c) => c.name), ['a', 'a (2)', '7']);
    assert.deepEqual(await column(wide, view({ sort: [{ column: 'a (2)', descending: true }] }), '7'), [11, 8, 5, 2]);
    await Promise.all([arr.dispose(), vec.dispose(), wide.dispose()]);
  });

  it('says clearly when a variable is not a table, was deleted or changed type', async () => {
    await assert.rejects(KernelDatasetSource.open(kernel, 'text', ac()), /text is now a str, not a DataFrame or array/);
    await assert.rejects(KernelDatasetSource.open(kernel, 'nothing_here', ac()), /nothing_here is no longer defined in the kernel/);
    await assert.rejects(KernelDatasetSource.open(kernel, 'df.x', ac()), /not a variable name/);
    const doomed = await KernelDatasetSource.open(kernel, 'doomed', ac());
    const rebound = await KernelDatasetSource.open(kernel, 'rebound', ac());
    const before = await rebound.info(EMPTY_VIEW, ac());
    await execute(kernel, 'del doomed\nrebound = [1, 2, 3]').done;
    await assert.rejects(doomed.rows(EMPTY_VIEW, 0, 10, ac()), (e: Error) => e.name === 'UserError' && /doomed is no longer defined in the kernel/.test(e.message));
    await assert.rejects(rebound.info(EMPTY_VIEW, ac()), /rebound is now a list, not a pandas DataFrame/);
    await execute(kernel, 'rebound = pd.DataFrame({"x": [4, 5]})').done;
    const after = await rebound.info(EMPTY_VIEW, ac());
    assert.notEqual(after.version, before.version, 'a cell ran: the version changed');
    assert.equal(after.totalRows, 2);
  });

  it('honours an aborted signal and stays usable', async () => {
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    const controller = new AbortController();
    const pending = source.rows(EMPTY_VIEW, 0, 5, controller.signal);
    controller.abort();
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
    assert.equal((await source.rows(EMPTY_VIEW, 0, 5, ac())).rows.length, 5);
    await source.dispose();
  });

  it('tells when a cell ran (to refresh an open grid), never for its own silent requests', async () => {
    let ran = 0;
    const watch = onCellsRan(kernel, () => ran++);
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    for (let i = 0; i < 5; i++) await source.rows(EMPTY_VIEW, i, 2, ac());
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ran, 0, 'silent requests are not cells');
    await execute(kernel, 'df2 = df.copy()').done;
    await waitFor(() => ran === 1, 10_000, 'the cell to be reported');
    // Another client's cell on the same kernel counts too (the agent, a second frontend).
    const other = jupyter.connect(kernel.id);
    await waitFor(() => other.connectionStatus === 'connected', 10_000, 'a second connection');
    await execute(other, 'del df2').done;
    await waitFor(() => ran === 2, 10_000, "the other client's cell to be reported");
    watch.dispose();
    await execute(kernel, '1').done;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ran, 2, 'no report after dispose');
    other.dispose();
    await source.dispose();
  });

  it('leaves the history, the execution count and the namespace alone after many requests, and can be removed', async () => {
    const count = execute(kernel, 'get_ipython().execution_count');
    await count.done;
    const start = count.outputs.executionCount!;
    const historyBefore = execute(kernel, 'len(get_ipython().history_manager.input_hist_raw)');
    await historyBefore.done;
    const source = await KernelDatasetSource.open(kernel, 'df', ac());
    for (let i = 0; i < 30; i++) {
      const v = view({ sort: [{ column: 'score', descending: i % 2 === 0 }], filters: i % 3 ? [{ column: 'flag', op: 'equals', value: true }] : [] });
      await source.info(v, ac());
      await source.rows(v, i % 4, 3, ac());
      await source.summarize('score', v, ac());
    }
    await source.dispose();
    const after = execute(kernel, 'import sys\nprint(sorted(k for k in globals() if "ml_engineer" in k or k in ("handle", "_R", "Problem", "cell")), [k for k in sys.modules if k.startswith("_ml_engineer_data")])');
    await after.done;
    assert.equal(after.outputs.executionCount, start + 2, 'only our two cells counted');
    const printed = after.outputs.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join('');
    assert.equal(printed, `[] ['${HELPER_MODULE}']\n`);
    await removeKernelHelper(kernel, ac());
    const gone = execute(kernel, 'print([k for k in sys.modules if k.startswith("_ml_engineer_data")], len(get_ipython().history_manager.input_hist_raw))');
    await gone.done;
    const historyCount = Number(String((historyBefore.outputs.outputs.find((o) => o.type === 'execute_result') as { data?: Record<string, unknown> } | undefined)?.data?.['text/plain']));
    assert.equal(gone.outputs.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join(''), `[] ${historyCount + 2}\n`);
  });
});
