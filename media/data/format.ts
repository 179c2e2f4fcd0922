import type { Cell, ColumnFilter, ColumnKind, ColumnSummary } from '../../src/data/datasetSource';

// How the grid writes values and conditions. Copying goes through the host and copies the value
// itself; the grid rounds floats to 10 significant digits to keep columns readable, and writes a
// float column's whole values as 1.0 (as pandas and polars print them), an integer column's as 1,
// and booleans as True and False (as pandas prints them).

export const NUMERIC_KINDS: readonly ColumnKind[] = ['integer', 'float', 'decimal'];

export function isNumericKind(kind: ColumnKind): boolean {
  return NUMERIC_KINDS.includes(kind);
}

export function cellDisplay(value: Cell, kind?: ColumnKind): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    const shown = Number.isInteger(value) ? value : Number(value.toPrecision(10));
    // Python prints 1e16 and up with an exponent; below that a whole float keeps its ".0".
    return kind === 'float' && Number.isInteger(shown) && Math.abs(shown) < 1e16 ? `${shown.toFixed(0)}.0` : String(shown);
  }
  return String(value);
}

/** A number for a statistic: a few significant digits, grouped thousands. */
export function statDisplay(value: Cell | undefined): string {
  if (value === undefined) return '–';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString('en-US');
    if (!Number.isFinite(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e9)) return value.toExponential(3);
    return value.toLocaleString('en-US', { maximumSignificantDigits: 5 });
  }
  return cellDisplay(value);
}

/** What the person typed, as the column's value: a number for numeric columns when it reads as one. */
export function parseValue(text: string, kind: ColumnKind): Cell {
  const trimmed = text.trim();
  if (trimmed.toUpperCase() === 'NULL') return null;
  if ((kind === 'integer' || kind === 'float') && trimmed !== '' && Number.isFinite(Number(trimmed))) {
    const n = Number(trimmed);
    // 64-bit integers beyond 2^53 cross as text (datasetSource.ts), and so must the value compared.
    return kind === 'integer' && !Number.isSafeInteger(n) ? trimmed : n;
  }
  if (kind === 'boolean' && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
  return text;
}

export function describeFilter(filter: ColumnFilter): string {
  const v = (value: Cell | undefined): string => (typeof value === 'string' ? JSON.stringify(value) : cellDisplay(value ?? null));
  switch (filter.op) {
    case 'range':
      if (filter.min !== undefined && filter.max !== undefined) return `${v(filter.min)} ≤ ${filter.column} ≤ ${v(filter.max)}`;
      return filter.min !== undefined ? `${filter.column} ≥ ${v(filter.min)}` : `${filter.column} ≤ ${v(filter.max)}`;
    case 'equals':
      return `${filter.column} = ${v(filter.value)}`;
    case 'contains':
      return `${filter.column} contains ${JSON.stringify(filter.text)}${filter.caseSensitive ? ' (case)' : ''}`;
    case 'isNull':
      return `${filter.column} is ${filter.negate ? 'not ' : ''}null`;
    case 'topK':
      return `${filter.column} in top ${filter.k}`;
  }
}

/** Default widths by kind, in pixels. */
export function defaultWidth(kind: ColumnKind, name: string): number {
  const base = kind === 'boolean' ? 80 : kind === 'integer' ? 100 : isNumericKind(kind) ? 130 : kind === 'date' ? 110 : kind === 'timestamp' ? 180 : 180;
  return Math.max(base, Math.min(260, name.length * 8 + 40));
}

/**
 * The words a summary card shows when its histogram (and, when approximate, its quantiles) come from
 * a sample of a big file: the column's own non-null values in it (ColumnSummary.sampledValues),
 * which the bars add up to. A line under the histogram, its title, and what a bar's count is.
 */
export function sampledWords(s: Pick<ColumnSummary, 'sampledValues' | 'quantilesApproximate'>): { readonly note: string; readonly title: string; readonly quantile: string; readonly histogram: string; readonly bar: (count: number) => string } | undefined {
  if (s.sampledValues === undefined) return undefined;
  const n = s.sampledValues.toLocaleString('en-US');
  const values = `${n} value${s.sampledValues === 1 ? '' : 's'}`;
  const both = s.quantilesApproximate === true;
  return {
    note: both ? `≈ Quantiles and histogram from a sample of ${values} spread over the file` : `≈ Histogram from a sample of only ${values} spread over the file; quantiles exact`,
    title: `Estimated from the column's ${values} in a sample of rows spread over the whole file.${both ? '' : ' The sample held too few values to estimate quantiles: they count every row.'} Rows, nulls, min, max, mean and std count every row.`,
    quantile: `Approximate: from a sample of ${values}`,
    histogram: `from a sample of ${values}`,
    bar: (count) => `${count.toLocaleString('en-US')} of the ${n} sampled values`,
  };
}

/**
 * The words a summary card shows for an ID-like text column of a big file (ColumnSummary.uniqueInSample):
 * no sampled value repeats, so its top values were not counted; worth knowing before using it as a feature.
 */
export function idLikeWords(s: Pick<ColumnSummary, 'uniqueInSample' | 'uniqueAs'>): { readonly note: string; readonly title: string } | undefined {
  if (s.uniqueInSample === undefined) return undefined;
  const values = s.uniqueInSample.toLocaleString('en-US');
  const looks = s.uniqueAs === 'long text' ? ' (long text)' : s.uniqueAs === 'timestamps' ? ' (timestamps stored as text)' : ': an ID-like column';
  const as = s.uniqueAs === 'long text' ? 'the values are long free text' : s.uniqueAs === 'timestamps' ? 'the values read as timestamps' : "as an identifier's do (rarely a useful feature)";
  return {
    note: `No value repeats in a sample of ${values} values${looks}`,
    title: `All ${values} non-null values sampled over the whole file differ: ${as}. Its most frequent values were not counted.`,
  };
}
