// Which statistic each column gets, as Evidently chooses by default, so teams see the numbers they
// already trust: a reference of up to 1,000 rows: Kolmogorov-Smirnov for numbers and chi-squared for
// categories, drift at p < 0.05 (small samples: a test of significance); above: Wasserstein distance
// normed by the reference's standard deviation for numbers and Jensen-Shannon distance for
// categories, drift at ≥ 0.1 (large samples make every tiny shift significant; a distance says how
// large the shift is). PSI (≥ 0.1) on request. Each choice can be overridden.

export type DriftTest = 'ks' | 'chisquare' | 'wasserstein' | 'jensenshannon' | 'psi';
export type NumericTestChoice = 'auto' | 'ks' | 'wasserstein' | 'psi';
export type CategoricalTestChoice = 'auto' | 'chisquare' | 'jensenshannon' | 'psi';

export const SMALL_REFERENCE_ROWS = 1000;

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
  /** Keep a request log's load-test rows (left out by default: they are not the model's traffic). */
  readonly includeLoadTest?: boolean;
}

export const DRIFT_DEFAULTS = { pValue: 0.05, distance: 0.1, driftShare: 0.5 } as const;

export const TEST_NAMES: Readonly<Record<DriftTest, string>> = {
  ks: 'Kolmogorov-Smirnov p-value',
  chisquare: 'chi-squared p-value',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
};

/** Whether the statistic is a p-value (drift below the threshold) or a distance (drift at or above). */
export function isPValue(test: DriftTest): boolean {
  return test === 'ks' || test === 'chisquare';
}

const FITS: Readonly<Record<DriftTest, readonly ('numeric' | 'categorical')[]>> = { ks: ['numeric'], wasserstein: ['numeric'], chisquare: ['categorical'], jensenshannon: ['categorical'], psi: ['numeric', 'categorical'] };

/** Why a column's own statistic cannot be used on it (KS on categories), or undefined. */
export function columnTestProblem(column: string, kind: 'numeric' | 'categorical', options: DriftOptions): string | undefined {
  const test = options.columnTests?.[column];
  return test && !FITS[test].includes(kind) ? `${column}: ${TEST_NAMES[test]} is for ${FITS[test].join(' and ')} columns, and ${column} is compared as ${kind}` : undefined;
}

export function chooseTest(kind: 'numeric' | 'categorical', referenceRows: number, options: DriftOptions, column?: string): DriftTest {
  const own = column === undefined ? undefined : options.columnTests?.[column];
  if (own && FITS[own].includes(kind)) return own;
  const small = referenceRows <= SMALL_REFERENCE_ROWS;
  if (kind === 'numeric') {
    const choice = options.numericTest ?? 'auto';
    return choice === 'auto' ? (small ? 'ks' : 'wasserstein') : choice;
  }
  const choice = options.categoricalTest ?? 'auto';
  return choice === 'auto' ? (small ? 'chisquare' : 'jensenshannon') : choice;
}
