// The paired bootstrap of the A/B statistics (abStats.ts): the same resampled rows for both
// models and every statistic, seeded so a report reads the same twice.
import type { Interval } from './abStats';

/** Mulberry32: small, seeded, uniform enough for resampling. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile intervals (2.5 %, 97.5 %) of each of `stats`' values over `resamples` paired resamples
 * of n rows: one loop, the same resampled rows for every statistic.
 */
export function pairedBootstrap(n: number, stats: (index: Uint32Array) => readonly number[], resamples: number, seed: number): Interval[] {
  const rnd = random(seed);
  const values: number[][] = [];
  const index = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let j = 0; j < n; j++) index[j] = Math.floor(rnd() * n);
    stats(index).forEach((v, k) => (values[k] ??= []).push(v));
  }
  return values.map((list) => {
    // NaN (a resample with one class only has no AUC) is left out, as NaN sorts nowhere.
    const sorted = list.filter((v) => !Number.isNaN(v)).sort((x, y) => x - y);
    // numpy.percentile's default (linear) at 2.5 and 97.5.
    const at = (q: number): number => {
      const pos = (q / 100) * (sorted.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(sorted.length - 1, lo + 1);
      return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
    };
    return sorted.length ? { low: at(2.5), high: at(97.5) } : { low: NaN, high: NaN };
  });
}
