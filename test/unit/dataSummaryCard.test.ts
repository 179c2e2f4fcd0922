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

  it('a sampled summary: a note with the sample size and a title naming what stays exact; quantiles and bars say "sample"', () => {
    const root = card({ ...base, sampledRows: 170_000 });
    const note = root.querySelector('p.sampled') ?? assert.fail('no note on the sample');
    assert.equal(note.textContent, '≈ Quantiles and histogram from a sample of 170,000 rows spread over the file');
    assert.match(note.getAttribute('title') ?? '', /sample of 170,000 rows spread over the whole file\. Rows, nulls, min, max, mean and std count every row\./);
    const p50 = Array.from(root.querySelectorAll('dt')).find((dt) => dt.textContent === '≈p50') ?? assert.fail('no ≈p50');
    assert.equal(p50.nextElementSibling?.getAttribute('title'), 'Approximate: from a sample of 170,000 rows');
    assert.deepEqual(titled(root, 'svg rect title'), ['84,000 of the 170,000 sampled rows', '86,000 of the 170,000 sampled rows']);
    assert.match(root.querySelector('svg')?.getAttribute('aria-label') ?? '', /from a sample of 170,000 rows/);
    assert.match(summaryLine({ ...base, sampledRows: 170_000 }), /median ~500 \(sample of 170000 rows\)/);
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
    assert.match(note.getAttribute('title') ?? '', /All 170,000 non-null values sampled over the whole file differ, as an identifier's do \(rarely a useful feature\)\. Its most frequent values were not counted\./);
    assert.equal(root.querySelector('ol.top'), null);
    assert.match(summaryLine(key), /~9870000 distinct, min "a", max "z", no value repeats in a sample of 170000 values \(ID-like\)$/);
    // Any other column: no such note.
    assert.equal(card({ ...key, uniqueInSample: undefined, topValues: [{ value: 'a', count: 2 }] }).querySelector('p.id-like'), null);
    assert.equal(idLikeWords(base), undefined);
    assert.doesNotMatch(summaryLine(base), /ID-like/);
  });
});
