import { driftLine, filesNote, formatStat, loadTestNote, notesText } from './driftReport';
import type { ColumnDrift } from './columnDrift';
import { sortByDrift, type DriftResult } from './driftScan';
import { choiceNote, isPValue, type DriftTest } from './driftTests';
import type { BinsChart, CategoriesChart, CategoryBar, DriftRowView, DriftView } from './protocol';

// What the drift report view (media/drift/) draws, from a scan's result: the verdict, one row per
// column sorted by drift, and per row the engine's histogram as shares of each side (the sides'
// sizes differ, so counts would not compare). Plain data: the webview only lays it out.

/** Category bars a row shows; one-sided categories among the scan's are shown past this. */
export const SHOWN_BARS = 10;

const NAMES: Readonly<Record<DriftTest, string>> = {
  ks: 'Kolmogorov-Smirnov',
  chisquare: 'chi-squared',
  ztest: 'Z-test',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
};

const shares = (counts: readonly number[], total: number): number[] => counts.map((c) => (total > 0 ? c / total : 0));
const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);

function binsChart(c: ColumnDrift): BinsChart {
  const h = c.histogram;
  const n = Math.min(h.reference.length, h.current.length);
  const reference = h.reference.slice(0, n);
  const current = h.current.slice(0, n);
  // A result saved before edges were kept: the labels are the lower edges.
  const edges = h.edges?.length === n + 1 ? [...h.edges] : [...h.labels.slice(0, n).map(Number), Number(h.labels[n - 1] ?? 0)];
  return { kind: 'bins', edges, reference: shares(reference, sum(reference)), current: shares(current, sum(current)), referenceCounts: reference, currentCounts: current };
}

function categoriesChart(c: ColumnDrift): CategoriesChart {
  const h = c.histogram;
  const totalR = sum(h.reference) + (h.other?.reference ?? 0);
  const totalC = sum(h.current) + (h.other?.current ?? 0);
  const bar = (label: string, r: number, k: number, sided = true): CategoryBar => ({
    label,
    reference: totalR > 0 ? r / totalR : 0,
    current: totalC > 0 ? k / totalC : 0,
    referenceCount: r,
    currentCount: k,
    ...(!sided ? {} : r === 0 && k > 0 ? { only: 'current' as const } : k === 0 && r > 0 ? { only: 'reference' as const } : {}),
  });
  const all = h.labels.map((label, i) => bar(label, h.reference[i] ?? 0, h.current[i] ?? 0));
  // The most frequent, and every category seen on one side only: a new or vanished category is
  // drift's plainest sign, however rare.
  const bars = all.filter((b, i) => i < SHOWN_BARS || b.only);
  const rest = all.filter((b) => !bars.includes(b));
  const otherR = sum(rest.map((b) => b.referenceCount)) + (h.other?.reference ?? 0);
  const otherC = sum(rest.map((b) => b.currentCount)) + (h.other?.current ?? 0);
  const others = Math.max(rest.length, (c.detail?.['categories'] ?? h.labels.length) - bars.length);
  return { kind: 'categories', bars, ...(others > 0 && (otherR || otherC) ? { other: bar(`${others} other ${others === 1 ? 'category' : 'categories'}`, otherR, otherC, false) } : {}) };
}

function row(c: ColumnDrift): DriftRowView {
  const p = isPValue(c.test);
  // A test's own statistic beside its p-value (KS's D, χ²); a distance is its own value.
  const stat = c.test === 'ks' ? c.detail?.['ks_statistic'] : c.test === 'chisquare' ? c.detail?.['chi2_statistic'] : c.test === 'ztest' ? c.detail?.['z_statistic'] : c.value;
  const statLabel = c.test === 'ks' ? 'D = ' : c.test === 'chisquare' ? 'χ² = ' : c.test === 'ztest' ? 'z = ' : '';
  return {
    column: c.column,
    kind: c.kind,
    drifted: c.drifted,
    statistic: NAMES[c.test],
    value: stat === undefined ? '—' : `${statLabel}${formatStat(stat)}`,
    threshold: p ? `p < ${c.threshold}` : `≥ ${c.threshold}`,
    ...(p ? { pValue: formatStat(c.value) } : {}),
    counts: `${c.referenceCount} reference, ${c.currentCount} current`,
    chart: c.kind === 'numeric' ? binsChart(c) : categoriesChart(c),
  };
}

export function driftView(r: DriftResult): DriftView {
  const drifted = r.columns.filter((c) => c.drifted).length;
  return {
    type: 'drift',
    title: `Drift: ${r.current} against ${r.reference}`,
    datasetDrift: r.datasetDrift,
    verdict: driftLine(r),
    drifted,
    compared: r.columns.length,
    driftedShare: r.driftedShare,
    driftShare: r.driftShare,
    sizes: `Reference ${r.referenceRows} rows, current ${r.currentRows} rows${filesNote(r)}.${loadTestNote(r)}${notesText(r)}`,
    rows: sortByDrift(r.columns).map(row),
    skipped: r.skipped,
    note:
      `${choiceNote(r.options)} ` +
      'Nulls and NaN are left out; bars are each side\'s share of its values.',
  };
}
