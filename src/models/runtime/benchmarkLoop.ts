import { RunningMean, warmupSettled } from './benchmarkStats';

// The benchmark's schedule, apart from what it runs: warm up until timings settle (bounded), then
// measure until the mean is known to within a target (its 95% confidence interval's half-width
// relative to it), with a floor of runs and time so the tail percentiles mean something, and a
// time budget so a slow model still answers. The clock is a parameter: unit tests drive it with
// synthetic timings of a known distribution.

export interface MeasureOptions {
  /** Measure exactly this many runs (no stability rule; still within the time budget). */
  readonly runs?: number;
  /** Most warm-up runs (0: none). Default 50. */
  readonly warmupRuns?: number;
  /** Most warm-up time. Default 2 s, and never more than a fifth of the budget. */
  readonly warmupSeconds?: number;
  /** Fewest measured runs before the mean may count as stable. Default 20. */
  readonly minRuns?: number;
  /** Least measured time per model before the mean may count as stable (so p99 rests on many runs of a fast model). Default 1 s. */
  readonly minSeconds?: number;
  /** The budget for measuring, warm-up excluded. Default 10 s. */
  readonly maxSeconds?: number;
  /** Most measured runs. Default 100,000. */
  readonly maxRuns?: number;
  /** Stable when the mean's 95% CI half-width is under this fraction of it. Default 0.05. */
  readonly targetRelativeHalfWidth?: number;
  readonly signal?: AbortSignal;
  /** After each measured run: the runs so far and the fraction of the budget used. */
  readonly onProgress?: (runs: number, fraction: number) => void;
}

export type StopReason = 'stable' | 'time budget' | 'run limit' | 'fixed runs';

export interface Measurement {
  readonly warmupRuns: number;
  readonly warmupMs: number;
  /** Whether warm-up ended because timings settled (else its bound ended it). */
  readonly warmupSettled: boolean;
  /** Latency of each measured run, ms. */
  readonly times: readonly number[];
  readonly stop: StopReason;
  /** What the stop rule asked for, to say it with the result. */
  readonly target: number;
  readonly maxSeconds: number;
}

export async function measureLatency(runOnce: () => Promise<unknown>, options: MeasureOptions = {}, now: () => number = () => performance.now()): Promise<Measurement> {
  const [m] = await measureInterleaved([runOnce], options, now);
  return m!;
}

/**
 * Several models measured in turns (A B, then B A, …) so that a change in the machine's load
 * falls on all of them alike: measured one after the other, the second of two equal models on a
 * busy machine can come out 1.5x "faster". The budget and floors count the time of all of them;
 * the stop rule needs every mean stable.
 */
export async function measureInterleaved(runners: readonly (() => Promise<unknown>)[], options: MeasureOptions = {}, now: () => number = () => performance.now()): Promise<Measurement[]> {
  const maxMs = (options.maxSeconds ?? 10) * 1000;
  const warmupMaxRuns = options.warmupRuns ?? 50;
  const warmupMaxMs = Math.min((options.warmupSeconds ?? 2) * 1000, maxMs / 5);
  const minRuns = options.minRuns ?? 20;
  const minMs = Math.min((options.minSeconds ?? 1) * 1000, maxMs);
  const maxRuns = options.runs ?? options.maxRuns ?? 100_000;
  const target = options.targetRelativeHalfWidth ?? 0.05;
  const timed = async (run: () => Promise<unknown>): Promise<number> => {
    options.signal?.throwIfAborted();
    const t = now();
    await run();
    return now() - t;
  };
  /** Round k runs the models forwards when k is even, backwards when odd. */
  const order = (k: number): number[] => {
    const forwards = runners.map((_, i) => i);
    return k % 2 === 0 ? forwards : forwards.reverse();
  };

  const warm: number[][] = runners.map(() => []);
  const warmStart = now();
  let settled = false;
  // At least one round (the first run pays for setting up) whenever warm-up is on.
  for (let k = 0; k < warmupMaxRuns; k++) {
    for (const i of order(k)) warm[i]!.push(await timed(runners[i]!));
    settled = warm.every((w) => warmupSettled(w));
    if (settled || now() - warmStart >= warmupMaxMs) break;
  }

  const times: number[][] = runners.map(() => []);
  const running = runners.map(() => new RunningMean());
  // The 1 s floor counts each model's own measured time (what its statistics rest on), not the
  // wall clock, which also holds the gaps between runs and the other models' runs.
  const measured = runners.map(() => 0);
  const start = now();
  let stop: StopReason = options.runs !== undefined ? 'fixed runs' : 'run limit';
  for (let k = 0; k < maxRuns; k++) {
    for (const i of order(k)) {
      const t = await timed(runners[i]!);
      times[i]!.push(t);
      running[i]!.add(t);
      measured[i]! += t;
    }
    const elapsed = now() - start;
    options.onProgress?.(k + 1, Math.min(1, Math.max(elapsed / maxMs, (k + 1) / maxRuns)));
    if (options.runs === undefined && k + 1 >= minRuns && measured.every((m) => m >= minMs) && running.every((r) => r.relativeHalfWidth() < target)) {
      stop = 'stable';
      break;
    }
    if (elapsed >= maxMs) {
      stop = 'time budget';
      break;
    }
  }
  return runners.map((_, i) => ({ warmupRuns: warm[i]!.length, warmupMs: warm[i]!.reduce((a, b) => a + b, 0), warmupSettled: settled, times: times[i]!, stop, target, maxSeconds: maxMs / 1000 }));
}
