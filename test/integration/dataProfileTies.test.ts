import * as assert from 'node:assert/strict';
import { EMPTY_VIEW, type DatasetView } from '../../src/data/datasetSource';
import { EXACT_ROWS } from '../../src/data/engine/columnSummary';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder, lit } from '../support/dataFixtures';

// A big CSV's one-scan profile (columnSummary.ts) on columns whose values repeat over many rows, and
// on a filtered view: quantiles against DuckDB's exact ones on the same file, a narrow filter's
// histogram, quantiles and top values from its own rows (not the whole file's sample).

const ROWS = EXACT_ROWS + 50_000;
const signal = (): AbortSignal => new AbortController().signal;

/** x 0-9999, target 0/1 (8% ones), f 80% 0.0 and the rest 1.0-100.9, k five values, s 2000 labels (x / 5); pad makes the file big enough to be sampled (over 64 MB). */
const ROWS_SQL = `SELECT (i * 7919) % 10000 AS x, CASE WHEN (i * 31) % 100 < 8 THEN 1 ELSE 0 END AS target,
  CASE WHEN (i * 17) % 100 < 80 THEN 0.0 ELSE 1.0 + ((i * 13) % 1000) / 10.0 END AS f,
  [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 5, 5, 8, 8][i % 20 + 1] AS k,
  'v' || ((i * 7919) % 10000 // 5)::VARCHAR AS s, repeat('p', 50) AS pad FROM range(${ROWS}) t(i)`;

describe('Dataset engine: a big CSV profiled in one scan, with ties and with a filter', function () {
  this.timeout(300_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let file: string;

  before(async () => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 1 });
    await folder.duckdb(`COPY (${ROWS_SQL}) TO ${lit(folder.path('ties.csv'))} (HEADER)`);
    file = lit(folder.path('ties.csv'));
    const [bytes] = await folder.duckdbRows(`SELECT size FROM read_blob(${file})`);
    assert.ok(Number(bytes?.[0]) > 64 * 1024 * 1024, 'big enough for the one-scan profile on a sample');
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  const exactQuantiles = async (column: string, where = ''): Promise<number[]> => {
    const [row] = await folder.duckdbRows(`SELECT quantile_cont(${column}, [0.05, 0.25, 0.5, 0.75, 0.95])::VARCHAR FROM read_csv(${file})${where}`);
    return (JSON.parse(String(row?.[0])) as number[]).map(Number);
  };

  it('a 0/1 target, a float mostly 0.0 and a column of few values: quantiles as DuckDB computes them exactly', async () => {
    const source = new FileDatasetSource(folder.path('ties.csv'), engine);
    for (const [column, tolerance] of [['target', 0], ['k', 0], ['f', 1]] as const) {
      const summary = await source.summarize(column, EMPTY_VIEW, signal());
      assert.equal(summary.kind, column === 'f' ? 'float' : 'integer', column);
      assert.equal(summary.quantilesApproximate, true, column);
      const wanted = await exactQuantiles(column);
      // The tied ranks come out exactly; f's p95 lies among its spread values (1% of its range, as dataProfileSample.test.ts).
      (summary.quantiles ?? []).forEach((q, k) => {
        const tol = wanted[k] === 0 ? 0 : tolerance;
        assert.ok(Math.abs(Number(q.value) - wanted[k]!) <= tol, `${column} p${q.p}: ${String(q.value)} against ${wanted[k]}`);
      });
    }
    assert.deepEqual(await exactQuantiles('target'), [0, 0, 0, 0, 1], 'the 8% of ones hold p95');
    // The sample's histogram: its rows, the ones (the max) in the last bin and the zeros in the first, their share within 1% of the file's.
    const target = await source.summarize('target', EMPTY_VIEW, signal());
    const [ones] = await folder.duckdbRows(`SELECT count(*) FROM read_csv(${file}) WHERE target = 1`);
    const counts = target.histogram?.counts ?? [];
    const sampled = target.sampledRows ?? assert.fail('not said to be sampled');
    assert.equal(counts.reduce((a, b) => a + b, 0), sampled);
    assert.equal((counts[0] ?? 0) + (counts[counts.length - 1] ?? 0), sampled, 'zeros and ones only');
    assert.ok(Math.abs((counts[counts.length - 1] ?? 0) / sampled - Number(ones?.[0]) / ROWS) < 0.01, `${counts[counts.length - 1]} ones of ${sampled} sampled, ${String(ones?.[0])} of ${ROWS}`);
    await source.dispose();
  });

  it('a filter selecting a narrow range: histogram, quantiles and top values from the filtered rows', async () => {
    const source = new FileDatasetSource(folder.path('ties.csv'), engine);
    await source.summarize('x', EMPTY_VIEW, signal());
    const view: DatasetView = { filters: [{ column: 'x', op: 'range', min: 100, max: 119 }], sort: [] };
    const where = ' WHERE x BETWEEN 100 AND 119';
    const [counted] = await folder.duckdbRows(`SELECT count(*) FROM read_csv(${file})${where}`);
    const rows = Number(counted?.[0]);
    const x = await source.summarize('x', view, signal());
    assert.deepEqual([x.count, x.min, x.max], [rows, 100, 119]);
    const edges = (x.histogram?.edges ?? []).map(Number);
    assert.equal(edges[0], 100);
    assert.equal(edges[edges.length - 1], 119);
    assert.ok(edges.length >= 11, `bins over the filtered range: ${edges.join(', ')}`);
    assert.equal(x.histogram?.counts.reduce((a, b) => a + b, 0), rows);
    assert.equal(x.sampledRows, undefined, 'a filtered view is counted, not sampled');
    const wanted = await exactQuantiles('x', where);
    (x.quantiles ?? []).forEach((q, k) => assert.ok(Math.abs(Number(q.value) - wanted[k]!) <= 1, `x p${q.p}: ${String(q.value)} against ${wanted[k]}`));
    const s = await source.summarize('s', view, signal());
    const top = await folder.duckdbRows(`SELECT s, count(*)::INTEGER FROM read_csv(${file})${where} GROUP BY s ORDER BY 2 DESC, 1`);
    assert.deepEqual(s.topValues?.map((t) => [t.value, t.count]), top.map((r) => [r[0], Number(r[1])]));
    await source.dispose();
  });
});
