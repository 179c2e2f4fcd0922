// A 10-million-row pandas DataFrame in a real kernel, read through KernelDatasetSource: the grid's
// first page (probe + info + 100 rows, each a silent request) beside the plainest silent request
// that brings back the same 100 rows (`big.iloc[:100].to_json()` as a user expression), in the
// same run on the same kernel; a sort and a filter over the whole frame; and how much the
// kernel's resident memory grew with the view open.
import { EMPTY_VIEW, type DatasetView } from '../src/data/datasetSource';
import { KernelDatasetSource } from '../src/data/kernel/kernelDatasetSource';
import { execute } from '../src/kernels/execution';
import { evaluateSilently } from '../src/kernels/kernelInspection';
import { startJupyter } from '../test/support/jupyterHarness';
import { kernelRssMb, LARGE_FRAME_CELL } from '../test/support/largeFrame';
import { median, withBaseline, type BenchMetric } from './metric';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const signal = (): AbortSignal => AbortSignal.timeout(300_000);

export async function run(): Promise<BenchMetric[]> {
  const jupyter = await startJupyter();
  try {
    const kernel = await jupyter.start();
    const setup = execute(kernel, LARGE_FRAME_CELL);
    await setup.done;
    if (setup.outputs.outputs.some((o) => o.type === 'error')) throw new Error('the 10-million-row frame was not made: is python3-pandas installed?');
    // Warm both paths once (the helper's install, pandas' first iloc).
    await evaluateSilently(kernel, 'big.iloc[:100].to_json()', 60_000, 'baseline');
    const warm = await KernelDatasetSource.open(kernel, 'big', signal());
    await warm.rows(EMPTY_VIEW, 0, 100, signal());
    await warm.dispose();
    const rssBefore = await kernelRssMb(kernel);

    const ours: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await evaluateSilently(kernel, 'big.iloc[:100].to_json()', 60_000, 'baseline');
      plain.push(performance.now() - t);
      t = performance.now();
      const source = await KernelDatasetSource.open(kernel, 'big', signal());
      await source.info(EMPTY_VIEW, signal());
      const page = await source.rows(EMPTY_VIEW, 0, 100, signal());
      ours.push(performance.now() - t);
      if (page.rows.length !== 100) throw new Error(`expected 100 rows, got ${page.rows.length}`);
      await source.dispose();
    }

    const source = await KernelDatasetSource.open(kernel, 'big', signal());
    const sorted: DatasetView = { filters: [], sort: [{ column: 'x', descending: true }] };
    let t = performance.now();
    await source.info(sorted, signal());
    await source.rows(sorted, 0, 100, signal());
    const sortMs = performance.now() - t;
    t = performance.now();
    await source.rows(sorted, 5_000_000, 100, signal());
    const sortedPageMs = performance.now() - t;
    // The sorted view's positions stay in the kernel while it is shown: 10 million int32s.
    const rssSorted = await kernelRssMb(kernel);
    const filtered: DatasetView = { filters: [{ column: 'x', op: 'range', min: 2, max: 3 }, { column: 'g', op: 'equals', value: 'c3' }], sort: [] };
    t = performance.now();
    await source.info(filtered, signal());
    await source.rows(filtered, 0, 100, signal());
    const filterMs = performance.now() - t;
    await source.summarize('x', filtered, signal());
    const rssAfter = await kernelRssMb(kernel);
    await source.dispose();

    return [
      withBaseline('kernel_df_10m_first_page_ms', median(ours), 'ms', median(plain)),
      withBaseline('kernel_df_10m_sort_ms', sortMs, 'ms'),
      withBaseline('kernel_df_10m_sorted_page_ms', sortedPageMs, 'ms'),
      withBaseline('kernel_df_10m_filter_ms', filterMs, 'ms'),
      withBaseline('kernel_df_rss_growth_mb', rssAfter - rssBefore, 'MB'),
      withBaseline('kernel_df_rss_growth_sorted_view_mb', rssSorted - rssBefore, 'MB'),
    ];
  } finally {
    await jupyter.close();
  }
}
