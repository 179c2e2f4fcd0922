export interface BenchMetric {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The same metric for the baseline run beside it, where there is one. */
  readonly baseline?: number;
  /** value / baseline. */
  readonly ratio?: number;
}

export function withBaseline(metric: string, value: number, unit: string, baseline?: number): BenchMetric {
  if (baseline === undefined) return { metric, value: round(value), unit };
  return { metric, value: round(value), unit, baseline: round(baseline), ratio: round(baseline === 0 ? NaN : value / baseline) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
