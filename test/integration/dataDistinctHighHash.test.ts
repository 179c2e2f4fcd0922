import * as assert from 'node:assert/strict';
import { EMPTY_VIEW, type ColumnSummary } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder, lit } from '../support/dataFixtures';

// Review 12: the hash-sampled distinct count (sampledProfile.ts hashSampleDistinct) of a column
// that is unique but for one frequent value whose hash lies OUTSIDE the sampled share of the hash
// space: "no repeat among the rows sampled by hash" then says "all distinct" (count of values),
// though 2% of the rows hold one value. The mirror of dataDistinct.test.ts's 'low' column.
const ROWS = 2_200_000;
const signal = (): AbortSignal => new AbortController().signal;

describe('Review 12: hash-sampled distinct with a frequent value hashed high', function () {
  this.timeout(300_000);
  let folder: DataFolder;
  let engine: DataEngine;
  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512 });
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('within three standard errors of the truth, or not said all distinct', async () => {
    const high = (await folder.duckdbRows(`SELECT 'v' || i FROM range(1000000) t(i) WHERE hash('v' || i) > (18446744073709551615 // 2)::UBIGINT LIMIT 1`))[0]?.[0];
    if (typeof high !== 'string') assert.fail('no value hashes that high');
    const path = folder.path('high.csv');
    await folder.duckdb(`COPY (SELECT i * 10 AS k10, CASE WHEN i % 50 = 7 THEN ${lit(high)} ELSE 'u' || i END AS high,
      CASE WHEN i % 50 = 7 THEN -1 ELSE i END AS neg, 'padpadpad' AS pad FROM range(${ROWS}) t(i)) TO ${lit(path)} (HEADER)`);
    const [exact] = await folder.duckdbRows(`SELECT count(DISTINCT high), count(DISTINCT neg) FROM read_csv(${lit(path)})`);
    const want = new Map(['high', 'neg'].map((c, k) => [c, Number(exact?.[k])]));
    const source = new FileDatasetSource(path, engine);
    const all = new Map<string, ColumnSummary>();
    for (const c of (await source.info(EMPTY_VIEW, signal())).columns) all.set(c.name, await source.summarize(c.name, EMPTY_VIEW, signal()));
    const failures: string[] = [];
    for (const name of ['high', 'neg']) {
      const s = all.get(name) ?? assert.fail(name);
      const truth = want.get(name) ?? NaN;
      const error = s.distinctError ?? 0;
      console.log(`${name}: said ${s.distinct} (error ${error}, approximate ${s.distinctApproximate}, sampledRows ${s.sampledRows}), truth ${truth}, off ${((s.distinct / truth - 1) * 100).toFixed(2)}%`);
      if (Math.abs(s.distinct - truth) > 3 * error * truth) failures.push(`${name}: ${s.distinct} against ${truth} (error ${error})`);
    }
    await source.dispose();
    assert.deepEqual(failures, []);
  });
});
