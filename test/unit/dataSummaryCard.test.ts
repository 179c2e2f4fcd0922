import * as assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { ColumnSummary } from '../../src/data/datasetSource';
import { summaryLine } from '../../src/data/datasetText';
import { idLikeWords, sampledWords } from '../../media/data/format';
import type * as Panel from '../../media/data/summaryPanel';

// The summary panel's card (media/data/summaryPanel.ts) in a real DOM (jsdom): a big file's
// quantiles and histogram, estimated from a sample, are said so in words a user reads.

const base: ColumnSummary = {
  column: 'x',
  kind: 'float',
  type: 'DOUBLE',
  count: 10_000_000,
  nulls: 103_093,
  distinct: 9_800_000,
  distinctApproximate: true,
  min: 0,
  max: 1000,
  mean: 500,
  std: 288.7,
  quantiles: [0.05, 0.25, 0.5, 0.75, 0.95].map((p) => ({ p, value: p * 1000 })),
  quantilesApproximate: true,
  histogram: { edges: [0, 500, 1000], counts: [84_000, 86_000] },
};

describe('Dataset summary card: sampled quantiles and histogram, and an ID-like column, said in words (jsdom)', () => {
  let summaryCard: typeof Panel.summaryCard;
  const globals = ['window', 'document'] as const;

  before(async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    ({ summaryCard } = await import('../../media/data/summaryPanel'));
  });
  after(() => {
    for (const g of globals) delete (globalThis as Record<string, unknown>)[g];
  });

  const card = (summary: ColumnSummary): HTMLElement => summaryCard(summary.column, summary.type, { state: 'done', summary }, () => undefined);
  const titled = (root: HTMLElement, selector: string): string[] => Array.from(root.querySelectorAll(selector)).map((e) => e.getAttribute('title') ?? e.textContent ?? '');

  it('a sampled summary: a note with the column\'s own sampled values and a title naming what stays exact; quantiles and bars say "sample"', () => {
    const root = card({ ...base, sampledRows: 172_000, sampledValues: 170_000 });
    const note = root.querySelector('p.sampled') ?? assert.fail('no note on the sample');
    assert.equal(note.textContent, '≈ Quantiles and histogram from a sample of 170,000 values spread over the file');
    assert.match(note.getAttribute('title') ?? '', /column's 170,000 values in a sample of rows spread over the whole file\. Rows, nulls, min, max, mean and std count every row\./);
    const p50 = Array.from(root.querySelectorAll('dt')).find((dt) => dt.textContent === '≈p50') ?? assert.fail('no ≈p50');
    assert.equal(p50.nextElementSibling?.getAttribute('title'), 'Approximate: from a sample of 170,000 values');
    assert.deepEqual(titled(root, 'svg rect title'), ['84,000 of the 170,000 sampled values', '86,000 of the 170,000 sampled values']);
    assert.match(root.querySelector('svg')?.getAttribute('aria-label') ?? '', /from a sample of 170,000 values/);
    assert.match(summaryLine({ ...base, sampledRows: 172_000, sampledValues: 170_000 }), /median ~500 \(from a sample of 170000 values\)/);
  });

  it('a mostly-null column: exact quantiles (no ≈), the histogram said to be from its few sampled values', () => {
    const sparse: ColumnSummary = { ...base, nulls: 9_990_000, quantilesApproximate: false, histogram: { edges: [0, 500, 1000], counts: [140, 72] }, sampledRows: 172_000, sampledValues: 212 };
    const root = card(sparse);
    const note = root.querySelector('p.sampled') ?? assert.fail('no note on the sample');
    assert.equal(note.textContent, '≈ Histogram from a sample of only 212 values spread over the file; quantiles exact');
    assert.match(note.getAttribute('title') ?? '', /too few values to estimate quantiles: they count every row/);
    assert.ok(Array.from(root.querySelectorAll('dt')).some((dt) => dt.textContent === 'p50'), 'p50 without ≈');
    assert.ok(!Array.from(root.querySelectorAll('dt')).some((dt) => (dt.textContent ?? '').startsWith('≈')), 'no ≈ quantile');
    assert.deepEqual(titled(root, 'svg rect title'), ['140 of the 212 sampled values', '72 of the 212 sampled values']);
    assert.match(summaryLine(sparse), /median 500$/);
    assert.doesNotMatch(summaryLine(sparse), /sample|~500/);
  });

  it('distinct: exact, a sketch\'s estimate with its typical error, or HyperLogLog\'s, each said in its title', () => {
    const distinctOf = (root: HTMLElement): Element => Array.from(root.querySelectorAll('dt')).find((dt) => dt.textContent === 'Distinct')?.nextElementSibling ?? assert.fail('no Distinct');
    const exact = distinctOf(card({ ...base, distinct: 1000, distinctApproximate: false }));
    assert.deepEqual([exact.textContent, exact.getAttribute('title')], ['1,000', 'Exact']);
    const sketched = distinctOf(card({ ...base, distinctError: 1 / Math.sqrt(16_382) }));
    assert.deepEqual([sketched.textContent, sketched.getAttribute('title')], ['≈9,800,000', 'Estimated from the values in a share of the hash space: typically within 0.8%']);
    assert.equal(distinctOf(card(base)).getAttribute('title'), 'Approximate (HyperLogLog)');
  });

  it('a summary counted on every row: no sample note, bars as plain counts', () => {
    const root = card({ ...base, quantilesApproximate: false, distinctApproximate: false });
    assert.equal(root.querySelector('p.sampled'), null);
    assert.equal(sampledWords(base), undefined);
    assert.ok(!(root.textContent ?? '').includes('sample'), root.textContent ?? '');
    assert.deepEqual(titled(root, 'svg rect title'), ['84,000', '86,000']);
    assert.doesNotMatch(summaryLine(base), /sample/);
  });

  it('an ID-like text column: said in words with the sample size, in the card and the agent\'s text; no top-value bars', () => {
    const key: ColumnSummary = { column: 'key', kind: 'string', type: 'VARCHAR', count: 10_000_000, nulls: 0, distinct: 9_870_000, distinctApproximate: true, min: 'a', max: 'z', topValues: [], uniqueInSample: 170_000 };
    const root = card(key);
    const note = root.querySelector('p.id-like') ?? assert.fail('no ID-like note');
    assert.equal(note.textContent, 'No value repeats in a sample of 170,000 values: an ID-like column');
    assert.match(note.getAttribute('title') ?? '', /All 170,000 non-null values sampled over the whole file differ: as an identifier's do \(rarely a useful feature\)\. Its most frequent values were not counted\./);
    assert.equal(root.querySelector('ol.top'), null);
    assert.match(summaryLine(key), /~9870000 distinct, min "a", max "z", no value repeats in a sample of 170000 values \(ID-like\)$/);
    // Long free text or timestamps stored as text: no value repeats either, but not called ID-like.
    assert.equal(card({ ...key, uniqueAs: 'long text' }).querySelector('p.id-like')?.textContent, 'No value repeats in a sample of 170,000 values (long text)');
    assert.equal(card({ ...key, uniqueAs: 'timestamps' }).querySelector('p.id-like')?.textContent, 'No value repeats in a sample of 170,000 values (timestamps stored as text)');
    assert.match(summaryLine({ ...key, uniqueAs: 'timestamps' }), /no value repeats in a sample of 170000 values \(timestamps as text\)$/);
    // Any other column: no such note.
    assert.equal(card({ ...key, uniqueInSample: undefined, topValues: [{ value: 'a', count: 2 }] }).querySelector('p.id-like'), null);
    assert.equal(idLikeWords(base), undefined);
    assert.doesNotMatch(summaryLine(base), /ID-like/);
  });
});
