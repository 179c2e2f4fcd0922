import type { ColumnDrift } from './columnDrift';
import { isPValue, testFits, TEST_NAMES, type DriftTest } from './driftTests';

// What "Change a Column's Statistic…" offers for one column of a report: every statistic the engine
// computes that fits the column, as Evidently lets each be picked (its stattests registry), with a
// line on what it measures and when it says drift, the column's current one marked. A numeric
// column with few values gets the per-value tests too, and the Z-test only a column of two values.

export interface StatisticChoice {
  /** undefined: Evidently's choice again (the column's own statistic dropped). */
  readonly test: DriftTest | undefined;
  readonly name: string;
  readonly description: string;
  readonly current: boolean;
}

const ORDER: readonly DriftTest[] = ['ks', 'wasserstein', 'chisquare', 'ztest', 'jensenshannon', 'psi'];

const WHAT: Readonly<Record<DriftTest, string>> = {
  ks: 'the largest gap between the two distributions; a test, for up to about 1,000 rows',
  wasserstein: "how far the values moved, in the reference's standard deviations; for large samples",
  chisquare: 'counts per value, a test of homogeneity; for small samples',
  ztest: "the share of one of the two values, two proportions compared; for small samples",
  jensenshannon: 'how far apart the shares per value are (0 to 1); for large samples',
  psi: 'population stability index over bins (numbers) or values, as credit scoring uses it',
};

/** The columns' distinct values over both sides as the scan counted them; undefined: a number with more than a few. */
export function distinctValues(c: ColumnDrift): number | undefined {
  return c.kind === 'categorical' ? c.detail?.['categories'] ?? c.histogram.labels.length : c.detail?.['values'];
}

/**
 * The statistics for `c` (a column of a report), the one in use marked current. `own`: the column's
 * statistic was picked for it; then Evidently's choice comes first, to go back to it.
 */
export function statisticChoices(c: ColumnDrift, own: boolean, thresholds: { readonly pValue: number; readonly distance: number }): StatisticChoice[] {
  const distinct = distinctValues(c);
  const rule = (t: DriftTest): string => (isPValue(t) ? `drift at p < ${thresholds.pValue}` : `drift at ≥ ${thresholds.distance}`);
  const auto: StatisticChoice = {
    test: undefined,
    name: "Evidently's choice",
    description: "back to the choice by the reference's rows (up to 1,000: a test; above: a distance) and the column's values",
    current: false,
  };
  const tests = ORDER.filter((t) => testFits(t, c.kind, distinct));
  return [...(own ? [auto] : []), ...tests.map((t) => ({ test: t, name: TEST_NAMES[t], description: `${WHAT[t]}; ${rule(t)}`, current: t === c.test }))];
}
