import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareOnData } from '../../src/models/compare/abPredict';
import { ModelReader } from '../../src/models/modelReader';
import { abStatisticsOffThread, compareTwoOffThread, onnxArmsOffThread, type ABStatsInput } from '../../src/models/compare/abStatsJob';
import { inspectModel } from '../../src/models/inspectModel';

// The A/B statistics run in the models worker: the host's event loop keeps turning during a 200k-row
// A/B (on the host thread the same work blocks it for seconds), a cancel ends it at once, and a
// call over its time limit is stopped with a message saying so. The ONNX arms' predictions and
// latency run there too (onnxArms.ts): two wide MLPs over 60k rows keep onnxruntime busy for
// seconds while the host's loop keeps ticking.

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

  describe('ONNX predictions', () => {
    let dir: string;
    let expected: { wide_a: number; wide_b: number };
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'mle-ab-onnx-'));
      expected = JSON.parse(execFileSync('/usr/bin/python3', [join(__dirname, '..', 'support', 'ab_torch_models.py'), 'big', dir, '60000'], { encoding: 'utf8' })) as typeof expected;
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const model = (name: string) => ({ path: join(dir, name), info: inspectModel(join(dir, name)) });

    it('a large ONNX comparison (two wide MLPs, 60k rows) keeps the host\'s event loop answering; the accuracies are torch\'s', async () => {
      const python = () => Promise.resolve('/usr/bin/python3');
      const { value, gapMs, elapsedMs } = await longestGap(() => compareOnData(python, model('wide_a.onnx'), model('wide_b.onnx'), join(dir, 'big.csv'), 'target', { cwd: dir, resamples: 50, latencyCalls: 100, reader }));
      const r = value.result;
      assert.equal(r.task, 'classification');
      if (r.task !== 'classification') return;
      assert.equal(r.rows, 60_000);
      // float32 in onnxruntime-web against float32 in torch: the same argmax but for near-ties.
      assert.ok(Math.abs(r.a.accuracy - expected.wide_a) < 1e-3 && Math.abs(r.b.accuracy - expected.wide_b) < 1e-3, `${r.a.accuracy} ${r.b.accuracy} vs ${JSON.stringify(expected)}`);
      assert.equal(r.latency?.inTurns, true);
      assert.ok((r.latency?.a.calls ?? 0) >= 5, JSON.stringify(r.latency));
      // The host parses the Python job's answer (60k labels, a base64 matrix) and sends it to the
      // worker: well under a second; the predictions themselves (seconds) never show here.
      assert.ok(gapMs < 1000, `the event loop was blocked ${gapMs.toFixed(0)} ms (the comparison took ${elapsedMs.toFixed(0)} ms)`);
      assert.ok(elapsedMs > 3 * gapMs, `the comparison took ${elapsedMs.toFixed(0)} ms, the longest block ${gapMs.toFixed(0)} ms`);
    });

    it('a cancel stops the ONNX predictions at once (an AbortError); over the time limit they stop with a message', async () => {
      const arms = [model('wide_a.onnx'), model('wide_b.onnx')];
      const X = new Float32Array(200_000 * 8).map((_, i) => Math.sin(i));
      const input = { arms, X, features: ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'], latencyCalls: 0, latencySeconds: 1 };
      const controller = new AbortController();
      const pending = onnxArmsOffThread(reader, input, 'big.csv', { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const cancelled = performance.now();
      controller.abort();
      await assert.rejects(pending, (error: Error) => error.name === 'AbortError' && /cancelled/.test(error.message));
      assert.ok(performance.now() - cancelled < 500, `stopped ${(performance.now() - cancelled).toFixed(0)} ms after the cancel`);
      await assert.rejects(onnxArmsOffThread(reader, input, 'big.csv', { timeMs: 1500 }), /The ONNX predictions of wide_a\.onnx and wide_b\.onnx on big\.csv took longer than 1\.5 s and were stopped: compare on fewer rows\./);
    });

    it('Compare Models without data (outputs on sample inputs, then the benchmark) runs there too; a cancel stops it', async () => {
      const input = { a: { ...model('wide_a.onnx'), name: 'churn v1 (wide_a.onnx)' }, b: model('wide_b.onnx'), options: { maxSeconds: 2, batch: 512 } };
      const { value, gapMs, elapsedMs } = await longestGap(() => compareTwoOffThread(reader, input));
      assert.equal(value.a.name, 'churn v1 (wide_a.onnx)');
      assert.equal(value.outputs?.[0]?.a, 'logits');
      assert.ok(value.benchmark && value.benchmark[0].runs > 0 && value.benchmark[1].runs > 0, JSON.stringify(value.benchmark));
      assert.ok(gapMs < 1000 && elapsedMs > 3 * gapMs, `the event loop was blocked ${gapMs.toFixed(0)} ms (the comparison took ${elapsedMs.toFixed(0)} ms)`);
      const controller = new AbortController();
      const pending = compareTwoOffThread(reader, { ...input, options: { maxSeconds: 60, batch: 4096 } }, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      controller.abort();
      await assert.rejects(pending, (error: Error) => error.name === 'AbortError');
    });
  });
});
