import * as assert from 'node:assert/strict';
import { ModelReader } from '../../src/models/modelReader';
import { abStatisticsOffThread, type ABStatsInput } from '../../src/models/compare/abStatsJob';

// The A/B statistics run in the models worker: the host's event loop keeps turning during a 200k-row
// A/B (on the host thread the same work blocks it for seconds), a cancel ends it at once, and a
// call over its time limit is stopped with a message saying so.

function bigInput(rows: number, resamples: number): ABStatsInput {
  let s = 1;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const truth: string[] = [];
  const a: string[] = [];
  const b: string[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < rows; i++) {
    const y = rnd() < 0.5 ? 'yes' : 'no';
    const flip = (p: number) => (rnd() < p ? y : y === 'yes' ? 'no' : 'yes');
    truth.push(y);
    a.push(flip(0.8));
    b.push(flip(0.82));
    sa.push(rnd() + (y === 'yes' ? 0.3 : 0));
    sb.push(rnd() + (y === 'yes' ? 0.4 : 0));
  }
  return { task: 'classification', truth, a, b, options: { resamples, names: ['a.pkl', 'b.pkl'], scores: { positive: 'yes', a: sa, b: sb } } };
}

/** The longest gap between 10 ms ticks of this thread's event loop while `work` runs. */
async function longestGap<T>(work: () => Promise<T>): Promise<{ value: T; gapMs: number; elapsedMs: number }> {
  let last = performance.now();
  let gapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gapMs = Math.max(gapMs, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  try {
    const value = await work();
    return { value, gapMs, elapsedMs: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

describe('A/B statistics off the host thread', function () {
  this.timeout(240_000);
  let reader: ModelReader;
  beforeEach(() => (reader = new ModelReader({ idleMs: 0 })));
  afterEach(() => reader.dispose());

  it('a 200k-row A/B with ROC AUC leaves the event loop free; the result is the whole one', async () => {
    const input = bigInput(200_000, 100);
    const { value, gapMs, elapsedMs } = await longestGap(() => abStatisticsOffThread(reader, input, 'big.csv'));
    assert.equal(value.task, 'classification');
    if (value.task !== 'classification') return;
    assert.equal(value.rows, 200_000);
    assert.ok(typeof value.auc !== 'string' && value.auc.b > value.auc.a, JSON.stringify(value.auc));
    // Sending 1M values to the worker is one structured clone on this thread: well under a second;
    // the bootstrap itself (seconds) never shows here.
    assert.ok(gapMs < 1000, `the event loop was blocked ${gapMs.toFixed(0)} ms (the A/B took ${elapsedMs.toFixed(0)} ms)`);
    assert.ok(elapsedMs > 2 * gapMs, `the A/B took ${elapsedMs.toFixed(0)} ms, the longest block ${gapMs.toFixed(0)} ms`);
  });

  it('a cancel stops a long A/B at once (an AbortError); the next call gets a fresh worker', async () => {
    const controller = new AbortController();
    const pending = abStatisticsOffThread(reader, bigInput(200_000, 100_000), 'big.csv', { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const cancelled = performance.now();
    controller.abort();
    await assert.rejects(pending, (error: Error) => error.name === 'AbortError' && /cancelled/.test(error.message));
    assert.ok(performance.now() - cancelled < 500, `stopped ${(performance.now() - cancelled).toFixed(0)} ms after the cancel`);
    const after = await abStatisticsOffThread(reader, bigInput(1000, 50), 'small.csv');
    assert.equal(after.rows, 1000);
  });

  it('an A/B over its time limit is stopped with a message that says so', async () => {
    await assert.rejects(abStatisticsOffThread(reader, bigInput(200_000, 100_000), 'big.csv', { timeMs: 1500 }), /The A\/B statistics on big\.csv took longer than 1\.5 s and were stopped: compare on fewer rows\./);
  });
});
