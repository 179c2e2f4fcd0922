import * as assert from 'node:assert/strict';
import { driftMarkdown } from '../../src/monitoring/driftReport';
import type { ColumnDrift } from '../../src/monitoring/columnDrift';
import { driftScore, type DriftResult } from '../../src/monitoring/driftScan';
import { driftView, SHOWN_BARS } from '../../src/monitoring/driftView';
import { parseFromDriftView, type BinsChart, type CategoriesChart } from '../../src/monitoring/protocol';

// The drift report view's data, from a scan's result: columns by drift (p-values and distances on
// one scale), both sides on the same bins as shares, one-sided categories kept in sight, empty and
// all-null columns without NaN, and the host's check of what the webview sends.

const numeric = (column: string, test: 'ks' | 'wasserstein', value: number, reference: number[], current: number[], lo = 0, hi = 10): ColumnDrift => {
  const threshold = test === 'ks' ? 0.05 : 0.1;
  const edges = Array.from({ length: reference.length + 1 }, (_, i) => (i === reference.length ? hi : lo + (i * (hi - lo)) / reference.length));
  return {
    column,
    kind: 'numeric',
    test,
    value,
    threshold,
    drifted: test === 'ks' ? value < threshold : value >= threshold,
    referenceCount: reference.reduce((s, x) => s + x, 0),
    currentCount: current.reduce((s, x) => s + x, 0),
    histogram: { labels: edges.slice(0, -1).map(String), reference, current, edges },
    detail: { ks_statistic: 0.3, wasserstein: 1, reference_std: 2 },
  };
};

const categorical = (column: string, value: number, labels: string[], reference: number[], current: number[], other?: { reference: number; current: number }, categories = labels.length): ColumnDrift => ({
  column,
  kind: 'categorical',
  test: 'chisquare',
  value,
  threshold: 0.05,
  drifted: value < 0.05,
  referenceCount: reference.reduce((s, x) => s + x, 0) + (other?.reference ?? 0),
  currentCount: current.reduce((s, x) => s + x, 0) + (other?.current ?? 0),
  histogram: { labels, reference, current, ...(other ? { other } : {}) },
  detail: { categories, chi2_statistic: 12.5, dof: labels.length - 1 },
});

const result = (columns: ColumnDrift[], skipped: DriftResult['skipped'] = []): DriftResult => {
  const drifted = columns.filter((c) => c.drifted).length;
  return {
    reference: 'reference.csv',
    current: 'requests.jsonl',
    referenceRows: 400,
    currentRows: 300,
    columns,
    skipped,
    driftedShare: columns.length ? drifted / columns.length : 0,
    driftShare: 0.5,
    datasetDrift: columns.length > 0 && drifted / columns.length >= 0.5,
    options: { pValue: 0.05, distance: 0.1, driftShare: 0.5 },
  };
};

describe('Drift report view data', () => {
  it('drifted columns first, then by how far past the threshold, p-values and distances on one scale', () => {
    const view = driftView(
      result([
        numeric('calm', 'ks', 0.8, [1, 1], [1, 1]),
        numeric('far', 'wasserstein', 0.9, [1, 1], [1, 1]),
        numeric('tiny_p', 'ks', 1e-12, [1, 1], [1, 1]),
        numeric('near', 'wasserstein', 0.05, [1, 1], [1, 1]),
        numeric('nan', 'ks', NaN, [1, 1], [1, 1]),
      ]),
    );
    assert.deepEqual(view.rows.map((r) => r.column), ['tiny_p', 'far', 'near', 'calm', 'nan']);
    assert.deepEqual(view.rows.map((r) => r.drifted), [true, true, false, false, false]);
    assert.equal(view.drifted, 2);
    assert.equal(view.compared, 5);
    assert.equal(view.datasetDrift, false);
    assert.match(view.verdict, /^No dataset drift: 2 of 5 columns drifted \(40%/);
    assert.ok(driftScore(numeric('x', 'ks', 0.01, [1], [1])) > 1 && driftScore(numeric('x', 'ks', 0.5, [1], [1])) < 1);
    // The statistic, its threshold and, for a test, its p-value apart.
    const ks = view.rows[0]!;
    assert.deepEqual([ks.statistic, ks.value, ks.threshold, ks.pValue], ['Kolmogorov-Smirnov', 'D = 0.300', 'p < 0.05', '1.00e-12']);
    const ws = view.rows[1]!;
    assert.deepEqual([ws.statistic, ws.value, ws.threshold, ws.pValue], ['Wasserstein distance (normed)', '0.900', '≥ 0.1', undefined]);
  });

  it("numbers: both sides on the engine's bins, as shares of each side", () => {
    const view = driftView(result([numeric('age', 'ks', 0.001, [10, 30, 60, 0], [0, 0, 5, 15], 20, 60)]));
    const chart = view.rows[0]!.chart as BinsChart;
    assert.equal(chart.kind, 'bins');
    assert.deepEqual(chart.edges, [20, 30, 40, 50, 60]);
    assert.equal(chart.reference.length, chart.edges.length - 1);
    assert.equal(chart.current.length, chart.edges.length - 1);
    assert.deepEqual(chart.reference, [0.1, 0.3, 0.6, 0]);
    assert.deepEqual(chart.current, [0, 0, 0.25, 0.75]);
    assert.deepEqual(chart.currentCounts, [0, 0, 5, 15]);
  });

  it('categories: the most frequent as grouped bars, one-sided ones kept and marked, the rest summed', () => {
    const labels = Array.from({ length: 14 }, (_, i) => `c${i}`);
    const reference = labels.map((_, i) => 100 - i);
    const current = labels.map((_, i) => 100 - i);
    reference[12] = 0; // c12: new in the current data, past the shown bars
    current[3] = 0; // c3: gone
    const view = driftView(result([categorical('plan', 1e-6, labels, reference, current, { reference: 50, current: 40 }, 30)]));
    const chart = view.rows[0]!.chart as CategoriesChart;
    assert.equal(chart.kind, 'categories');
    assert.deepEqual(chart.bars.map((b) => b.label), [...labels.slice(0, SHOWN_BARS), 'c12']);
    assert.equal(chart.bars.find((b) => b.label === 'c12')?.only, 'current');
    assert.equal(chart.bars.find((b) => b.label === 'c3')?.only, 'reference');
    assert.equal(chart.bars.filter((b) => b.only).length, 2);
    // Shares of each side's total, the categories past the scan's included.
    const totalR = reference.reduce((s, x) => s + x, 0) + 50;
    assert.equal(chart.bars[0]!.reference, 100 / totalR);
    const shown = chart.bars.reduce((s, b) => s + b.reference, 0) + chart.other!.reference;
    assert.ok(Math.abs(shown - 1) < 1e-12, `reference shares add up to 1 (${shown})`);
    assert.equal(chart.other?.label, '19 other categories');
    assert.equal(chart.other?.only, undefined);
    assert.equal(chart.other?.referenceCount, 50 + 90 + 89 + 87); // c10, c11, c13 and the scan's rest
    const chi = view.rows[0]!;
    assert.deepEqual([chi.statistic, chi.value, chi.pValue], ['chi-squared', 'χ² = 12.5', '1.00e-6']);
  });

  it('empty and all-null columns: listed as not compared; an empty side draws no NaN', () => {
    const empty = numeric('blank', 'ks', 1, [0, 0], [0, 0]);
    const constant = numeric('seven', 'ks', 1, [5], [3], 7, 7);
    const none = categorical('none', 1, [], [], []);
    const view = driftView(result([empty, constant, none], [{ column: 'all_null', reason: 'no values in the reference' }]));
    assert.deepEqual(view.skipped, [{ column: 'all_null', reason: 'no values in the reference' }]);
    const blank = view.rows.find((r) => r.column === 'blank')!.chart as BinsChart;
    assert.deepEqual(blank.reference, [0, 0]);
    const seven = view.rows.find((r) => r.column === 'seven')!.chart as BinsChart;
    assert.deepEqual(seven.edges, [7, 7]);
    assert.deepEqual([seven.reference, seven.current], [[1], [1]]);
    const nothing = view.rows.find((r) => r.column === 'none')!.chart as CategoriesChart;
    assert.deepEqual(nothing.bars, []);
    assert.equal(nothing.other, undefined);
    assert.doesNotMatch(JSON.stringify(view), /[:,[]null/, 'no NaN (JSON null) anywhere');
    const none0 = driftView(result([]));
    assert.equal(none0.datasetDrift, false);
    assert.match(none0.verdict, /0 of 0 columns/);
  });

  it('Markdown keeps its table and sparklines; the webview may only ask for the two exports', () => {
    const markdown = driftMarkdown(result([numeric('age', 'ks', 0.001, [10, 30, 60, 0], [0, 0, 5, 15])]));
    assert.match(markdown, /^# Drift: requests\.jsonl against reference\.csv/);
    assert.match(markdown, /\| age \| \*\*yes\*\* \| Kolmogorov-Smirnov p-value \| 0\.00100 \| < 0\.05 \| `▂▄█ ` \| ` {2}▃█` \|/);
    assert.deepEqual(parseFromDriftView({ type: 'export', format: 'json' }), { type: 'export', format: 'json' });
    assert.equal(parseFromDriftView({ type: 'export', format: 'csv' }), undefined);
    assert.equal(parseFromDriftView({ type: 'export', format: 'json', path: '/etc/passwd' }), undefined);
    assert.equal(parseFromDriftView({ type: 'ready' })?.type, 'ready');
  });
});
