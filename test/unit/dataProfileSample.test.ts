import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateCounts, countDistinctExactly, EXACT_DISTINCT_PROJECTED_MAX, fitToRange, HASH_SAMPLE_TARGET, hashSampleError, hashShare, idLike, sampleEdges, UNIQUE_SAMPLE_MIN, withCounted } from '../../src/data/engine/sampledProfile';
import { spreadSample } from '../../src/data/engine/spreadSample';
import type { DatasetColumn } from '../../src/data/datasetSource';

const col = (kind: DatasetColumn['kind'], type: string): DatasetColumn => ({ name: 'c', kind, type });

describe('Data: the one-scan profile on a spread sample (edges, fitting, the sample itself)', () => {
  it('nice bin edges: 1, 2 or 5 × 10^k steps; one bin a value for a few integers; whole days for dates', () => {
    assert.deepEqual(sampleEdges(col('float', 'DOUBLE'), 0.3, 999.2), Array.from({ length: 21 }, (_, k) => k * 50));
    assert.deepEqual(sampleEdges(col('integer', 'BIGINT'), 3, 9), [3, 4, 5, 6, 7, 8, 9, 10]);
    const day = 86_400_000;
    const dates = sampleEdges(col('date', 'DATE'), 0, 1500 * day);
    assert.ok(dates.every((e) => e % day === 0) && dates.length <= 22, JSON.stringify(dates));
    assert.equal(sampleEdges(col('float', 'DOUBLE'), 5, 5).length, 3, 'one value sampled: still two bins');
  });

  it('fitted to the exact range: end edges the min and max, empty bins past them dropped, widening said', () => {
    const edges = [0, 10, 20, 30, 40];
    assert.deepEqual(fitToRange(col('integer', 'BIGINT'), edges, [5, 5, 5, 0], 2, 29), { edges: [2, 10, 20, 29], counts: [5, 5, 5] });
    assert.deepEqual(fitToRange(col('integer', 'BIGINT'), edges, [6, 5, 5, 7], -100, 400), { edges: [-100, 10, 20, 30, 400], counts: [6, 5, 5, 7], endsWidened: true });
    assert.deepEqual(fitToRange(col('date', 'DATE'), [0, 86_400_000, 172_800_000], [1, 1], 0, 86_400_000), { edges: ['1970-01-01', '1970-01-02', '1970-01-02'], counts: [1, 1] });
  });

  it('a column of few values: distinct and ends from the rows no candidate holds joined with the counted candidates', () => {
    const counts = candidateCounts(['b', 'é', 'z', 'never'], { '1': 5, '2': 3, '3': 1 });
    assert.deepEqual([...counts], [['b', 5], ['é', 3], ['z', 1]]);
    assert.deepEqual([withCounted('d', 0, counts), withCounted('d', 2, counts)], [3, 5]);
    // Byte order in UTF-8, as the engine orders text: é (0xC3…) after z.
    assert.deepEqual([withCounted('lo', null, counts), withCounted('hi', null, counts), withCounted('lo', 'a', counts), withCounted('hi', 'zz', counts)], ['b', 'é', 'a', 'é']);
    assert.equal(withCounted('lo', null, new Map([['x', 0]])), null, 'no rows at all');
  });

  it('an ID-like text column: no value repeats in a sample big enough to mean it; a few repeats or a small sample are not', () => {
    assert.equal(UNIQUE_SAMPLE_MIN, 10_000);
    assert.equal(idLike(200_000, 200_000), true);
    assert.equal(idLike(10_000, 10_000), true);
    // A few repeats: a near-unique column, whose repeated values are worth counting.
    assert.equal(idLike(200_000, 199_999), false);
    assert.equal(idLike(200_000, 150_000), false);
    // Small samples never: a few thousand rows of a category can all differ.
    assert.equal(idLike(9_999, 9_999), false);
    assert.equal(idLike(40, 40), false);
    assert.equal(idLike(0, 0), false);
  });

  it('the sample: the header, then whole lines from windows spread over the file, the last line kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spread-'));
    try {
      const lines = Array.from({ length: 5000 }, (_, i) => `${i},${'x'.repeat(i % 17)}`);
      const path = join(dir, 'f.csv');
      writeFileSync(path, `id,pad\n${lines.join('\n')}`);
      const sample = await spreadSample(path, new AbortController().signal, 8, 256);
      assert.ok(sample);
      const text = readFileSync(sample.path, 'utf8').split('\n').filter((l) => l.length > 0);
      await sample.remove();
      assert.equal(text[0], 'id,pad');
      const ids = text.slice(1).map((l) => Number(l.split(',')[0]));
      assert.ok(text.slice(1).every((l) => lines.includes(l)), 'whole lines only');
      assert.ok(ids.includes(0) && ids.includes(4999), 'from the first line to the last');
      assert.ok(ids.some((i) => i > 2000 && i < 3000), 'and between');
      assert.ok(ids.length < 500, `a sample, not the file: ${ids.length} lines`);
      // More windows than fit side by side: fewer, none overlapping, so no line is sampled twice.
      const crowded = await spreadSample(path, new AbortController().signal, 400, 4096);
      assert.ok(crowded);
      const again = readFileSync(crowded.path, 'utf8').split('\n').filter((l) => l.length > 0).slice(1);
      await crowded.remove();
      assert.equal(new Set(again).size, again.length, 'no line twice');
      assert.ok(again.length > 2000, `most of the file: ${again.length} lines`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('long lines: wider windows, the sample bounded; lines longer than any window give no sample', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spread-'));
    try {
      // 40 KB lines (an embedding per row): windows of 16 lines, so the sample keeps whole lines, at most 16 MB of them.
      const path = join(dir, 'wide.csv');
      writeFileSync(path, `id,vec\n${Array.from({ length: 1000 }, (_, i) => `${i},${String(i % 10).repeat(40_000)}`).join('\n')}\n`);
      const sample = await spreadSample(path, new AbortController().signal);
      assert.ok(sample);
      const text = readFileSync(sample.path, 'utf8');
      await sample.remove();
      const rows = text.split('\n').filter((l) => l.length > 0).slice(1);
      assert.ok(rows.length > 100 && rows.every((r) => /^\d+,\d{40000}$/.test(r)), `${rows.length} whole lines`);
      assert.ok(text.length <= 16 * 1024 * 1024 + 8, `${text.length} bytes`);
      // 2 MB lines: no window holds one.
      const huge = join(dir, 'huge.csv');
      writeFileSync(huge, `id,blob\n${Array.from({ length: 12 }, (_, i) => `${i},${'y'.repeat(2_000_000)}`).join('\n')}\n`);
      assert.equal(await spreadSample(huge, new AbortController().signal), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('distinct values: counted exactly where the sample repeats and the file cannot hold too many, else estimated with its error', () => {
    // 1,000 values in 170,000 sampled rows of a 1 GB file (1.6% of it): exact.
    assert.equal(countDistinctExactly({ values: 170_000, distinct: 1_000 }, 0.016), true);
    // Values that seldom repeat in the sample: estimated.
    assert.equal(countDistinctExactly({ values: 170_000, distinct: 168_000 }, 0.016), false);
    // Repeating, but 100,000 of 170,000 sampled from 1.6% of the file could be 6M values: estimated; from 16%, 625,000: exact.
    assert.ok(100_000 / 0.016 > EXACT_DISTINCT_PROJECTED_MAX && 100_000 / 0.16 < EXACT_DISTINCT_PROJECTED_MAX);
    assert.deepEqual([countDistinctExactly({ values: 170_000, distinct: 100_000 }, 0.016), countDistinctExactly({ values: 170_000, distinct: 100_000 }, 0.16)], [false, true]);
    // Few sampled values (a mostly-null column): exact.
    assert.equal(countDistinctExactly({ values: 300, distinct: 300 }, 0.016), true);
    // A sample holding every value it projects (a key of 60,000 rows sampled whole): counted exactly, nothing to sample.
    assert.equal(countDistinctExactly({ values: 60_000, distinct: 60_000 }, 1), true);
    // The hash space sampled: HASH_SAMPLE_TARGET of the projected values, a key projected by the share itself,
    // repeating values by its square root (between the sample's count and the share's projection).
    assert.ok(Math.abs(hashShare({ values: 170_000, distinct: 170_000 }, 0.016) - (HASH_SAMPLE_TARGET * 0.016) / 170_000) < 1e-12);
    assert.ok(Math.abs(hashShare({ values: 170_000, distinct: 100_000 }, 0.016) - (HASH_SAMPLE_TARGET * Math.sqrt(0.016)) / 100_000) < 1e-12);
    assert.equal(hashShare({ values: 2_000, distinct: 2_000 }, 0.5), 1);
    // The estimate's error from the distinct hashes counted (binomial); none when every hash was.
    assert.equal(hashSampleError(65_536, 1), 0);
    assert.ok(Math.abs(hashSampleError(65_536, 0.01) - Math.sqrt(0.99 / 65_536)) < 1e-12);
    assert.ok(hashSampleError(10, 0.01) > 0.3, 'few hashes counted: said coarse');
  });
});
