import { formatMs as digits } from '../runtime/benchmarkReport';
import { quantile } from '../runtime/benchmarkStats';
import type { ArmLatency, Interval, LatencyAB } from './abStats';
import { pairedBootstrap } from './abStatsBootstrap';

// Each arm's prediction latency in an A/B: one-row calls timed in turns A B, B A, A B… (so a load
// change on the machine hits both arms alike), p50/p95 per arm, and a paired bootstrap 95%
// interval of B − A's p50 over the turns (the same resampled turns for both arms).

/** What abPredict measured: milliseconds per one-row call, turn k of A beside turn k of B. */
export interface LatencySamples {
  readonly a: readonly number[];
  readonly b: readonly number[];
  /** Timed in alternating turns in one runtime; false where the arms ran in different runtimes (scikit-learn beside ONNX). */
  readonly inTurns: boolean;
}

export const formatMs = (ms: number): string => `${digits(ms)} ms`;
const sortedCopy = (v: readonly number[]): number[] => [...v].sort((x, y) => x - y);

function arm(times: readonly number[]): ArmLatency {
  const s = sortedCopy(times);
  return { calls: s.length, p50Ms: quantile(s, 0.5), p95Ms: quantile(s, 0.95) };
}

export const signedMs = (ms: number): string => `${ms < 0 ? '−' : '+'}${formatMs(Math.abs(ms))}`;

/** The latency part of an A/B; undefined with fewer than 5 turns (no interval worth the name). */
export function latencyAB(samples: LatencySamples, names: readonly [string, string], resamples = 2000, seed = 11): LatencyAB | undefined {
  const n = Math.min(samples.a.length, samples.b.length);
  if (n < 5) return undefined;
  const [ta, tb] = [samples.a.slice(0, n), samples.b.slice(0, n)];
  const [a, b] = [arm(ta), arm(tb)];
  const ra = new Array<number>(n);
  const rb = new Array<number>(n);
  const [p50Diff] = pairedBootstrap(
    n,
    (ix) => {
      for (let j = 0; j < n; j++) {
        ra[j] = ta[ix[j]!]!;
        rb[j] = tb[ix[j]!]!;
      }
      return [quantile(sortedCopy(rb), 0.5) - quantile(sortedCopy(ra), 0.5)];
    },
    resamples,
    seed,
  ) as [Interval];
  const [nameA, nameB] = names;
  const diff = b.p50Ms - a.p50Ms;
  const ci = `95% CI [${signedMs(p50Diff.low)}, ${signedMs(p50Diff.high)}]`;
  const how = samples.inTurns ? `${n} one-row calls each, in turns` : `${n} one-row calls each, in different runtimes one after the other (not in turns: a load change would favour one)`;
  const sentence =
    p50Diff.low <= 0 && p50Diff.high >= 0
      ? `Latency: no measurable difference (p50 ${formatMs(a.p50Ms)} for ${nameA}, ${formatMs(b.p50Ms)} for ${nameB}; B − A ${signedMs(diff)}, ${ci} includes 0; ${how}).`
      : `Latency: ${diff < 0 ? nameB : nameA} is faster per one-row call (p50 ${formatMs(a.p50Ms)} for ${nameA}, ${formatMs(b.p50Ms)} for ${nameB}; B − A ${signedMs(diff)}, ${ci}; ${how}).`;
  return { a, b, p50Diff, inTurns: samples.inTurns, sentence };
}
