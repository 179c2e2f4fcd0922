import { UserError } from '../common/errors';

// Which statistic each column gets, as Evidently chooses by default, so teams see the numbers they
// already trust: a reference of up to 1,000 rows: Kolmogorov-Smirnov for numbers and chi-squared for
// categories, drift at p < 0.05 (small samples: a test of significance); above: Wasserstein distance
// normed by the reference's standard deviation for numbers and Jensen-Shannon distance for
// categories, drift at ≥ 0.1 (large samples make every tiny shift significant; a distance says how
// large the shift is). PSI (≥ 0.1) on request. Each choice can be overridden.
// As Evidently's default (evidently/calculations/stattests/registry.py, _get_default_stattest), the
// distinct values of both sides count too: a numeric column with at most 5 of them (a 0/1 flag, a
// rating) is compared per value, chi-squared (or a Z-test when at most 2) with a small reference and
// Jensen-Shannon with a large one; a category with at most 2 values and a small reference gets the
// Z-test for two proportions. Our chi-squared is scipy's chi2_contingency (a test of homogeneity);
// Evidently's is scipy's chisquare goodness of fit against the reference's shares, so its p-values
// differ a little. The Z-test's p-value is Evidently's proportions_diff_z_test (two-sided).

export type DriftTest = 'ks' | 'chisquare' | 'ztest' | 'wasserstein' | 'jensenshannon' | 'psi';
export type NumericTestChoice = 'auto' | 'ks' | 'wasserstein' | 'psi';
export type CategoricalTestChoice = 'auto' | 'chisquare' | 'jensenshannon' | 'psi';

export const SMALL_REFERENCE_ROWS = 1000;
/** At most this many distinct values (both sides): a numeric column is compared per value, as Evidently does. */
export const FEW_VALUES = 5;

export interface DriftOptions {
  readonly numericTest?: NumericTestChoice;
  readonly categoricalTest?: CategoricalTestChoice;
  /** p-value below which KS and chi-squared say drift (0.05). */
  readonly pValue?: number;
  /** Distance at or above which Wasserstein, Jensen-Shannon and PSI say drift (0.1). */
  readonly distance?: number;
  /** Share of compared columns that must drift for the dataset to drift (0.5). */
  readonly driftShare?: number;
  /** Columns to leave out (an id, the target). */
  readonly ignore?: readonly string[];
  /** A statistic per column, over the choice by kind (PSI for one column, KS for another). */
  readonly columnTests?: Readonly<Record<string, DriftTest>>;
  /**
   * A column's own statistic that its data no longer fits (a live log's column gained values, or
   * text that makes it a category) is replaced by the choice by kind, with a note, rather than failing the report: for the
   * interactive loop, where it was chosen from an earlier report. Off: a clear error.
   */
  readonly replaceUnfitTests?: boolean;
  /** Keep a request log's load-test rows (left out by default: they are not the model's traffic). */
  readonly includeLoadTest?: boolean;
}

/** The report's sentence on the choice (view and Markdown). */
export function choiceNote(o: { pValue: number; distance: number }): string {
  return (
    `Statistics as Evidently chooses them: up to 1,000 reference rows, Kolmogorov-Smirnov (numbers) and chi-squared (categories; a Z-test for two proportions where a column has at most 2 values), drift at p < ${o.pValue}; ` +
    `above, Wasserstein distance normed by the reference's standard deviation (numbers) and Jensen-Shannon distance (categories), drift at ≥ ${o.distance}. ` +
    `A numeric column with at most ${FEW_VALUES} distinct values is compared per value, as a category. Chi-squared here is chi2_contingency (homogeneity); Evidently's is a goodness-of-fit test, so its p-values may differ slightly.`
  );
}

export const DRIFT_DEFAULTS = { pValue: 0.05, distance: 0.1, driftShare: 0.5 } as const;

export const TEST_NAMES: Readonly<Record<DriftTest, string>> = {
  ks: 'Kolmogorov-Smirnov p-value',
  chisquare: 'chi-squared p-value',
  ztest: 'Z-test p-value',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
};

/** Whether the statistic is a p-value (drift below the threshold) or a distance (drift at or above). */
export function isPValue(test: DriftTest): boolean {
  return test === 'ks' || test === 'chisquare' || test === 'ztest';
}

const FITS: Readonly<Record<DriftTest, readonly ('numeric' | 'categorical')[]>> = { ks: ['numeric'], wasserstein: ['numeric'], chisquare: ['categorical'], ztest: ['categorical'], jensenshannon: ['categorical'], psi: ['numeric', 'categorical'] };

/** The tests that compare counts per value: a category's, or a numeric column's with at most FEW_VALUES values. */
export const PER_VALUE: ReadonlySet<DriftTest> = new Set(['chisquare', 'ztest', 'jensenshannon']);

/**
 * Whether a test fits a column: by kind, per value for a numeric column with few distinct values
 * (`distinct`: over both sides; undefined for a numeric column with more than FEW_VALUES), and the
 * Z-test only where there are at most 2 values (as Evidently: it compares one value's share).
 */
export function testFits(test: DriftTest, kind: 'numeric' | 'categorical', distinct?: number): boolean {
  if (test === 'ztest' && distinct !== undefined && distinct > 2) return false;
  if (FITS[test].includes(kind)) return true;
  return kind === 'numeric' && PER_VALUE.has(test) && distinct !== undefined && distinct <= (test === 'ztest' ? 2 : FEW_VALUES);
}

/**
 * Why a column's own statistic cannot be used on it (KS on categories), or undefined. `distinct`
 * as testFits; 'unscanned' before the scan, when only the kind is known (a per-value test on a
 * number is then let through: the scan counts its values).
 */
export function columnTestProblem(column: string, kind: 'numeric' | 'categorical', options: DriftOptions, distinct?: number | 'unscanned'): string | undefined {
  const test = ownTest(options, column);
  if (!test) return undefined;
  if (distinct === 'unscanned') return FITS[test].includes(kind) || (kind === 'numeric' && PER_VALUE.has(test)) ? undefined : kindProblem(column, kind, test);
  if (testFits(test, kind, distinct)) return undefined;
  if (test === 'ztest' && FITS[test].includes(kind)) return `${column}: ${TEST_NAMES[test]} is for columns with at most 2 values, and ${column} has ${distinct}`;
  if (kind === 'numeric' && PER_VALUE.has(test)) return `${column}: ${TEST_NAMES[test]} is for categories and numeric columns with at most ${test === 'ztest' ? 2 : FEW_VALUES} distinct values, and ${column} has ${distinct ?? `more than ${FEW_VALUES}`}`;
  return kindProblem(column, kind, test);
}

/**
 * A column's own statistic: an own key only, so a column named `constructor`, `toString` or
 * `__proto__` does not read Object.prototype's members (callers may pass a plain object).
 */
export function ownTest(options: DriftOptions, column: string): DriftTest | undefined {
  const tests = options.columnTests;
  return tests && Object.hasOwn(tests, column) ? tests[column] : undefined;
}

/**
 * Why a column's own statistic stopped fitting since it was chosen, for the note that replaces it
 * (where columnTestProblem found a problem): its kind changed, or it gained values.
 */
export function unfitReason(column: string, kind: 'numeric' | 'categorical', options: DriftOptions, distinct?: number): string {
  const test = ownTest(options, column);
  // Only a number's tests can miss by kind (every categorical test also compares a number per value).
  if (test && !FITS[test].includes(kind) && kind === 'categorical') return 'the column became a category since it was chosen: it holds text now';
  if (test === 'ztest') return `the column has ${distinct ?? `more than ${FEW_VALUES}`} values now, and a Z-test compares 2`;
  return `the column has more than ${FEW_VALUES} distinct values now, too many to compare per value`;
}

/**
 * Before the scan, when only the kinds are known: a column's own statistic that cannot fit its kind
 * fails the report, unless replaceUnfitTests lets the check after the scan replace it.
 */
export function checkKindFits(column: string, kind: 'numeric' | 'categorical', options: DriftOptions): void {
  const problem = columnTestProblem(column, kind, options, 'unscanned');
  if (problem && !options.replaceUnfitTests) throw new UserError(problem);
}

/**
 * The statistic for a scanned column (a per-value test on a number, or a Z-test, fits by the values
 * the scan counted: `distinct` as chooseTest), and the note where its own statistic no longer fits
 * and falls through to the choice by kind (replaceUnfitTests; off: a UserError).
 */
export function scannedColumnTest(column: string, kind: 'numeric' | 'categorical', referenceRows: number, options: DriftOptions, distinct?: number): { test: DriftTest; note?: string } {
  const problem = columnTestProblem(column, kind, options, distinct);
  if (problem && !options.replaceUnfitTests) throw new UserError(problem);
  const test = chooseTest(kind, referenceRows, options, column, distinct);
  return problem ? { test, note: `${problem}: compared with ${TEST_NAMES[test]} instead (${unfitReason(column, kind, options, distinct)}).` } : { test };
}

const kindProblem = (column: string, kind: 'numeric' | 'categorical', test: DriftTest): string => `${column}: ${TEST_NAMES[test]} is for ${FITS[test].join(' and ')} columns, and ${column} is compared as ${kind}`;

/**
 * The statistic for a column: its own, else the option for its kind, else Evidently's default, by the
 * reference's rows and the column's distinct values over both sides (`distinct`, nulls and NaN left
 * out; undefined where not counted: a numeric column with more than FEW_VALUES).
 */
export function chooseTest(kind: 'numeric' | 'categorical', referenceRows: number, options: DriftOptions, column?: string, distinct?: number): DriftTest {
  const own = column === undefined ? undefined : ownTest(options, column);
  if (own && testFits(own, kind, distinct)) return own;
  const small = referenceRows <= SMALL_REFERENCE_ROWS;
  const perValue = (n: number): DriftTest => (small ? (n > 2 ? 'chisquare' : 'ztest') : 'jensenshannon');
  if (kind === 'numeric') {
    const choice = options.numericTest ?? 'auto';
    if (choice !== 'auto') return choice;
    if (distinct !== undefined && distinct <= FEW_VALUES) return perValue(distinct);
    return small ? 'ks' : 'wasserstein';
  }
  const choice = options.categoricalTest ?? 'auto';
  return choice === 'auto' ? perValue(distinct ?? Infinity) : choice;
}
