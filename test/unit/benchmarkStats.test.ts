import assert from 'node:assert/strict';
import { measureInterleaved, measureLatency } from '../../src/models/runtime/benchmarkLoop';
import { latencyStats, quantile, RunningMean, samplesPerSecond, t975, warmupSettled } from '../../src/models/runtime/benchmarkStats';

// The benchmark's statistics and schedule on synthetic timings of known distributions: the
// percentiles land on the distribution's quantiles, the mean's 95% interval covers the true mean
// 95% of the time, throughput follows the mean (not the median), and the loop warms up, stops
// when the mean is stable, and keeps to its budget. The loop runs on a fake clock that each
// "run" advances by a drawn latency.

/** xorshift32, seeded: the same draws every run. */
function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
}

function normal(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

function exponential(mean: number, next: () => number): () => number {
  return () => -mean * Math.log(next());
}

/** A fake clock and a run that advances it by the next latency. */
function fakeRun(latency: (i: number) => number): { now: () => number; run: () => Promise<void>; calls: () => number } {
  let t = 0;
  let i = 0;
  return {
    now: () => t,
    run: () => {
      t += latency(i++);
      return Promise.resolve();
    },
    calls: () => i,
  };
}

describe('benchmark statistics', () => {
  it('interpolates quantiles between ranks as numpy does', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.ok(Math.abs(quantile([1, 2, 3, 4], 0.95) - 3.85) < 1e-12);
    assert.equal(quantile([5], 0.99), 5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0), 1);
    assert.equal(quantile([1, 2, 3, 4, 5], 1), 5);
  });

  it("gives Student's t for a 95% interval (tabled to 30 degrees of freedom, then the expansion)", () => {
    assert.equal(t975(5), 2.571);
    assert.equal(t975(9), 2.262);
    assert.equal(t975(30), 2.042);
    for (const [df, t] of [[40, 2.021], [60, 2.0], [120, 1.98], [1000, 1.962]] as const) assert.ok(Math.abs(t975(df) - t) < 1.5e-3, `${df}: ${t975(df)}`);
  });

  it('puts p50, p95 and p99 on the quantiles of an exponential distribution, and the mean on its mean', () => {
    const draw = exponential(2, uniform(11));
    const s = latencyStats(Array.from({ length: 200_000 }, draw));
    const near = (x: number, want: number, what: string): void => assert.ok(Math.abs(x - want) / want < 0.02, `${what}: ${x} against ${want}`);
    near(s.meanMs, 2, 'mean');
    near(s.p50Ms, 2 * Math.LN2, 'p50');
    near(s.p95Ms, 2 * Math.log(20), 'p95');
    near(s.p99Ms, 2 * Math.log(100), 'p99');
    near(s.stdMs, 2, 'std');
    assert.ok(s.minMs > 0 && s.minMs < s.p50Ms && s.p99Ms < s.maxMs);
    assert.ok(s.ciHalfWidthMs / s.meanMs < 0.01);
  });

  it("the mean's 95% interval covers the true mean in 95% of small samples (t, not z: z covers 92% at n = 10)", () => {
    const draw = normal(uniform(3));
    let covered = 0;
    const trials = 4000;
    for (let k = 0; k < trials; k++) {
      const s = latencyStats(Array.from({ length: 10 }, () => 5 + 0.5 * draw()));
      if (Math.abs(s.meanMs - 5) <= s.ciHalfWidthMs) covered++;
    }
    assert.ok(Math.abs(covered / trials - 0.95) < 0.012, `${covered / trials}`);
  });

  it('throughput is batch × runs / measured time, so it agrees with the mean when a few runs are slow', () => {
    // The numbers: most runs 0.336 ms, two stalls; the median says 2974/s, the mean 2.50 ms.
    const times = [...Array.from({ length: 48 }, () => 0.336), 54.43, 54.43];
    const s = latencyStats(times);
    assert.ok(Math.abs(s.meanMs - 2.5) < 0.01, `${s.meanMs}`);
    assert.equal(s.p50Ms, 0.336);
    assert.ok(Math.abs(samplesPerSecond(1, s) - 1000 / s.meanMs) < 1e-9);
    assert.ok(Math.abs(samplesPerSecond(1, s) - 400) < 2, `${samplesPerSecond(1, s)}`);
    assert.equal(samplesPerSecond(4, latencyStats([2, 2, 2, 2])), 2000);
  });

  it('a running mean gives the same interval as the batch statistics', () => {
    const draw = exponential(1, uniform(5));
    const times = Array.from({ length: 500 }, draw);
    const r = new RunningMean();
    for (const t of times) r.add(t);
    const s = latencyStats(times);
    assert.ok(Math.abs(r.relativeHalfWidth() - s.ciHalfWidthMs / s.meanMs) < 1e-9);
    assert.equal(new RunningMean().relativeHalfWidth(), Infinity);
  });

  it('warm-up is over when the last runs match the ones before them', () => {
    assert.equal(warmupSettled([10, 9, 8, 1, 1, 1]), false);
    assert.equal(warmupSettled([10, 1.02, 1, 1, 0.98, 1]), true);
    assert.equal(warmupSettled([1, 1, 1, 1, 1]), false, 'too few runs to say');
  });
});

describe('benchmark schedule (fake clock)', () => {
  it('warms up past slow first runs, then measures until the mean is stable, for at least the floor of time', async () => {
    const noise = normal(uniform(21));
    const cold = [40, 20, 10, 5, 2];
    const f = fakeRun((i) => (i < cold.length ? cold[i]! : 1 + 0.05 * noise()));
    const m = await measureLatency(f.run, {}, f.now);
    assert.equal(m.stop, 'stable');
    assert.ok(m.warmupRuns >= cold.length && m.warmupRuns <= cold.length + 6, `${m.warmupRuns} warm-up runs`);
    assert.equal(m.warmupSettled, true);
    assert.ok(Math.max(...m.times) < 1.5, 'no cold run is measured');
    const s = latencyStats(m.times);
    assert.ok(s.totalMs >= 1000 && s.totalMs < 1010, `measured ${s.totalMs} ms: the 1 s floor, then stable`);
    assert.ok(s.ciHalfWidthMs / s.meanMs < 0.05);
    assert.ok(Math.abs(s.meanMs - 1) < 0.01);
  });

  it('counts the floor in each model\'s measured time, not the wall clock that also holds the gaps between runs', async () => {
    // Each run takes 1 ms and 1 ms passes outside it (the await, the other model): by the wall
    // clock the floor is reached after 500 ms of measured runs.
    let t = 0;
    const noise = normal(uniform(5));
    const run = (): Promise<void> => {
      t += 1 + 0.01 * noise();
      return Promise.resolve();
    };
    const now = (): number => (t += 0.5);
    const m = await measureLatency(run, { warmupRuns: 0 }, now);
    assert.equal(m.stop, 'stable');
    const s = latencyStats(m.times);
    assert.ok(s.totalMs >= 1000 && s.totalMs < 1010, `measured ${s.totalMs} ms`);
  });

  it('stops at the time budget when timings vary too much to pin the mean down, and says so', async () => {
    // Lognormal with sigma 2.5: a run in a hundred takes 300x the median.
    const noise = normal(uniform(8));
    const f = fakeRun(() => Math.exp(2.5 * noise()));
    const m = await measureLatency(f.run, { maxSeconds: 3, minRuns: 20 }, f.now);
    assert.equal(m.stop, 'time budget');
    const total = m.times.reduce((a, b) => a + b, 0);
    assert.ok(total >= 3000 && total < 3000 + Math.max(...m.times) + 1, `${total}`);
  });

  it('a slow model gets a short warm-up (a fifth of the budget) and the runs the budget allows', async () => {
    const f = fakeRun(() => 500);
    const m = await measureLatency(f.run, { maxSeconds: 10 }, f.now);
    assert.ok(m.warmupRuns <= 4 && m.warmupMs <= 2000, `${m.warmupRuns} runs, ${m.warmupMs} ms`);
    assert.equal(m.times.length, 20, 'the floor of runs, since a constant latency is stable at once');
    assert.equal(m.stop, 'stable');
  });

  it('measures exactly the runs asked for, without warm-up when it is off', async () => {
    const f = fakeRun(() => 3);
    const m = await measureLatency(f.run, { runs: 7, warmupRuns: 0 }, f.now);
    assert.deepEqual([m.warmupRuns, m.times.length, m.stop, f.calls()], [0, 7, 'fixed runs', 7]);
  });

  it('reports progress as a fraction of the budget and stops when cancelled', async () => {
    const abort = new AbortController();
    const seen: number[] = [];
    const f = fakeRun(() => 10);
    await assert.rejects(
      measureLatency(f.run, { maxSeconds: 1, targetRelativeHalfWidth: 0, signal: abort.signal, onProgress: (runs, fraction) => (seen.push(fraction), runs === 30 && abort.abort()) }, f.now),
      /abort/i,
    );
    assert.equal(seen.length, 30);
    assert.ok(seen.every((x, i) => x > 0 && x <= 1 && (i === 0 || x >= seen[i - 1]!)));
  });

  it('measures two equal models in turns, so a machine getting less busy does not make the second look faster', async () => {
    // Both take 1 ms; the machine is twice as slow for its first second, then normal.
    let t = 0;
    const noise = normal(uniform(13));
    const run = (): Promise<void> => {
      t += (t < 1000 ? 2 : 1) * (1 + 0.02 * noise());
      return Promise.resolve();
    };
    const now = (): number => t;
    const options = { maxSeconds: 3, minSeconds: 1, warmupRuns: 0 };
    // One after the other, the second model is measured on a quieter machine:
    const first = latencyStats((await measureLatency(run, options, now)).times);
    const second = latencyStats((await measureLatency(run, options, now)).times);
    assert.ok(first.meanMs / second.meanMs > 1.4, `sequential: ${first.meanMs / second.meanMs}`);
    // In turns (A B, B A, …) both see the same machine:
    t = 500;
    const [a, b] = (await measureInterleaved([run, run], options, now)).map((m) => latencyStats(m.times));
    assert.ok(Math.abs(a!.meanMs / b!.meanMs - 1) < 0.02, `interleaved: ${a!.meanMs / b!.meanMs}`);
    assert.equal(a!.runs, b!.runs);
  });
});
