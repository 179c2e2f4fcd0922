// Latency statistics of a benchmark: the mean with its 95% confidence interval, percentiles, and
// throughput from the same measured time as the mean (so the two always agree: a throughput
// taken from the median reads 2974/s beside a 2.50 ms mean when a few runs are slow).

export interface LatencyStats {
  /** Measured runs (warm-up excluded). */
  readonly runs: number;
  /** The sum of the measured runs' latencies. */
  readonly totalMs: number;
  readonly meanMs: number;
  /** Sample standard deviation (n - 1). */
  readonly stdMs: number;
  /** Half-width of the mean's 95% confidence interval (Student's t). */
  readonly ciHalfWidthMs: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The q-quantile of sorted values, linearly interpolated between the closest ranks (numpy's default, R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Student's t quantile for a two-sided 95% interval: exact to 3 decimals up to 30 degrees of freedom, then Abramowitz & Stegun 26.7.5. */
export function t975(df: number): number {
  const TABLE = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  if (!(df >= 1)) return NaN;
  if (df <= 30) return TABLE[Math.floor(df)]!;
  const z = 1.959964;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/** Running mean and variance (Welford), so a loop can ask after every run whether the mean is known well enough. */
export class RunningMean {
  private n = 0;
  private mean = 0;
  private m2 = 0;

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  get count(): number {
    return this.n;
  }

  /** The 95% confidence interval's half-width relative to the mean (Infinity with fewer than two runs). */
  relativeHalfWidth(): number {
    if (this.n < 2 || this.mean <= 0) return Infinity;
    return (t975(this.n - 1) * Math.sqrt(this.m2 / (this.n - 1) / this.n)) / this.mean;
  }
}

export function latencyStats(times: readonly number[]): LatencyStats {
  const n = times.length;
  if (n === 0) throw new Error('no measured runs');
  const sorted = [...times].sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  const mean = total / n;
  const variance = n > 1 ? times.reduce((a, t) => a + (t - mean) ** 2, 0) / (n - 1) : 0;
  const std = Math.sqrt(variance);
  return {
    runs: n,
    totalMs: total,
    meanMs: mean,
    stdMs: std,
    ciHalfWidthMs: n > 1 ? (t975(n - 1) * std) / Math.sqrt(n) : Infinity,
    minMs: sorted[0]!,
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[n - 1]!,
  };
}

/** Samples per second = batch × runs / measured time: the mean's reciprocal times the batch, never the median's. */
export function samplesPerSecond(batch: number, stats: Pick<LatencyStats, 'runs' | 'totalMs'>): number {
  return (batch * stats.runs * 1000) / stats.totalMs;
}

/**
 * Whether warm-up is over: the median of the last `window` runs is within `tolerance` of the
 * median of the `window` before (first runs pay for allocation, kernel selection, cold caches).
 */
export function warmupSettled(times: readonly number[], window = 3, tolerance = 0.1): boolean {
  if (times.length < 2 * window) return false;
  const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
  const last = median(times.slice(-window));
  const before = median(times.slice(-2 * window, -window));
  return Math.abs(last - before) <= tolerance * before;
}
