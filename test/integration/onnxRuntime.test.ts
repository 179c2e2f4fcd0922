import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel } from '../../src/models/inspectModel';
import { optimizeAndCompare } from '../../src/models/optimize/optimizeModel';
import { speedVerdict } from '../../src/models/optimize/optimizeReport';
import { benchmarkOnnx, compareModels, createSession, loadOrt, sampleFeeds, type OrtModule } from '../../src/models/runtime/onnxRun';

// Models really run by onnxruntime (onnxruntime-web's WebAssembly build, the one the extension
// ships in dist/lazy/ort.js): a benchmark of a real exported model with external data, an int8
// copy compared with its original, sample inputs of every dtype the corpus models take.

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx');
const simpleCnn = join(corpus, 'external_data', 'simple_cnn.onnx');

describe('ONNX models run with onnxruntime (WebAssembly)', function () {
  this.timeout(120_000);
  let ort: OrtModule;
  let dir: string;
  before(() => {
    ort = loadOrt();
    dir = mkdtempSync(join(tmpdir(), 'mle-ort-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('benchmarks simple_cnn (external data) at batch 4: warmed up, percentiles in order, throughput from the measured time, the runtime named', async () => {
    const info = inspectModel(simpleCnn);
    const r = await benchmarkOnnx(ort, simpleCnn, info, { batch: 4, maxSeconds: 3 });
    assert.deepEqual(r.inputShapes, { x: [4, 3, 32, 32] });
    assert.ok(r.warmupRuns >= 1, 'warmed up');
    assert.ok(r.minMs > 0 && r.minMs <= r.p50Ms && r.p50Ms <= r.p95Ms && r.p95Ms <= r.p99Ms && r.p99Ms <= r.maxMs, JSON.stringify(r));
    assert.ok(r.minMs <= r.meanMs && r.meanMs <= r.maxMs);
    // samples/s = batch × runs / measured time, the mean's reciprocal: never batch / p50.
    assert.ok(Math.abs(r.throughput - (4 * r.runs * 1000) / r.totalMs) < 1e-9);
    assert.ok(Math.abs(r.throughput - 4000 / r.meanMs) < 1e-6 * r.throughput);
    // At least the 1 s floor of measuring (or the budget), then stable or out of time, and said which.
    assert.ok(r.totalMs >= 1000 || r.stop === 'time budget', `${r.totalMs} ms, ${r.stop}`);
    assert.ok(r.stop === 'stable' || r.stop === 'time budget', r.stop);
    if (r.stop === 'stable') assert.ok(r.ciHalfWidthMs / r.meanMs < 0.05);
    assert.equal(r.runtime, 'onnxruntime-web 1.23.2, WebAssembly, 1 thread, CPU');
    assert.equal(ort.env.wasm.numThreads, 1);
  });

  it('benchmarks a corpus architecture (SqueezeNet, 224x224) within its budget', async () => {
    const squeezenet = join(corpus, 'light', 'light_squeezenet.onnx');
    const info = inspectModel(squeezenet);
    const started = performance.now();
    const r = await benchmarkOnnx(ort, squeezenet, info, { maxSeconds: 4 });
    const wall = performance.now() - started;
    assert.deepEqual(Object.values(r.inputShapes), [[1, 3, 224, 224]]);
    assert.ok(r.runs >= 2 && r.p50Ms > 1, JSON.stringify(r));
    // Measuring stops at the first run past the budget. (Warm-up stops at the first run past a
    // fifth of it, but a cold run can outlast any measured one: benchmarkStats.test.ts checks
    // that bound with a clock it controls.)
    assert.ok(r.totalMs <= 4000 + r.maxMs, JSON.stringify(r));
    assert.ok(r.warmupRuns >= 1 && r.warmupRuns < 50, JSON.stringify(r));
    // The time went to loading, warming up and measuring, and nothing else of note.
    assert.ok(wall < r.loadMs + r.warmupMs + r.totalMs + 1500, `${wall} ms`);
  });

  it('measures exactly the runs asked for', async () => {
    const r = await benchmarkOnnx(ort, simpleCnn, inspectModel(simpleCnn), { runs: 25, warmupRuns: 2 });
    assert.deepEqual([r.runs, r.warmupRuns, r.stop], [25, 2, 'fixed runs']);
  });

  it('stops a benchmark when cancelled', async () => {
    const abort = new AbortController();
    const info = inspectModel(simpleCnn);
    await assert.rejects(benchmarkOnnx(ort, simpleCnn, info, { runs: 1000, signal: abort.signal, onProgress: (done) => done === 3 && abort.abort() }), /abort/i);
  });

  it('quantizes simple_cnn and writes a report beside it: the tool and why, sizes, differences on sample inputs, both benchmarked', async () => {
    const out = join(dir, 'simple_cnn.int8.onnx');
    const { report, reportPath, facts } = await optimizeAndCompare(simpleCnn, out, 'int8', () => ort, { benchmarkSeconds: 2 });
    assert.equal(reportPath, join(dir, 'simple_cnn.int8.report.md'));
    assert.equal(readFileSync(reportPath, 'utf8'), report);
    const [diff] = await compareModels(ort, { path: simpleCnn, info: inspectModel(simpleCnn) }, out);
    assert.equal(diff!.output, 'linear');
    assert.ok(diff!.maxAbsDiff > 0 && diff!.maxAbsDiff < 0.05 * diff!.maxAbs, `${diff!.maxAbsDiff} of ${diff!.maxAbs}`);
    assert.ok(diff!.meanAbsDiff > 0 && diff!.meanAbsDiff < diff!.maxAbsDiff);
    assert.match(report, /^\| Written by \| ML Engineer's built-in weight-only int8 rewrite \(no Python\) \|$/m);
    assert.match(report, /^\| Why this tool \| no Python was found; with onnxruntime there, Optimize uses onnxruntime quantize_dynamic \|$/m);
    assert.match(report, /^\| Size \| 110 KB → 3\d KB \(3\d% of the original\) \|$/m);
    assert.match(report, /4 sample inputs \(x float32 \[1, 3, 32, 32\] from N\(0, 1\); a new draw per sample\)/);
    assert.match(report, /^\| linear \| \d[\d.e-]* \| \d[\d.e-]* \| \d[\d.]* \|$/m);
    assert.match(report, /Largest output difference on the sample inputs: linear \d/);
    assert.match(report, /^\| throughput \| \d+ samples\/s \| \d+ samples\/s \|$/m);
    assert.match(report, /Runtime: onnxruntime-web 1\.23\.2, WebAssembly, 1 thread, CPU\./);
    assert.ok(!('error' in facts.benchmark), JSON.stringify(facts.benchmark));
    // Weight-only int8 computes in float32 as before (plus DequantizeLinear): no faster, and the
    // report says so plainly. The two are measured in turns, so the machine's load cannot fake one.
    const verdict = speedVerdict(facts.benchmark.original, facts.benchmark.optimized);
    assert.notEqual(verdict.kind, 'faster', verdict.text);
    assert.match(report, /^\*\*No speed-up[^*]*\*\*.*Weight-only int8 stores the weights as int8 and turns them back into float32/m);
  });

  it('converts simple_cnn to fp16: half the weight bytes, float32 inputs and outputs, outputs within fp16 precision', async () => {
    const out = join(dir, 'simple_cnn.fp16.onnx');
    const { report } = await optimizeAndCompare(simpleCnn, out, 'fp16', () => ort, { benchmarkSeconds: 1 });
    const info = inspectModel(out);
    assert.deepEqual(info.inputs, [{ name: 'x', dtype: 'float32', shape: ['batch_size', 3, 32, 32] }]);
    assert.deepEqual(info.outputs?.map((o) => o.dtype), ['float32']);
    assert.equal(info.bytesByDtype.float16, inspectModel(simpleCnn).bytesByDtype.float32! / 2);
    const [diff] = await compareModels(ort, { path: simpleCnn, info: inspectModel(simpleCnn) }, out);
    assert.ok(diff!.maxAbsDiff > 0 && diff!.maxAbsDiff < 2e-3 * Math.max(1, diff!.maxAbs), `${diff!.maxAbsDiff}`);
    assert.match(report, /6 float32 tensor\(s\) to float16/);
  });

  it('makes sample inputs for the corpus models and runs them (float and int64 inputs, external data)', async () => {
    const names = ['node/test_gather_elements_0.onnx', 'node/test_abs.onnx', 'external_data/simple_cnn.onnx'];
    for (const name of names) {
      const path = join(corpus, name);
      const info = inspectModel(path);
      const feeds = sampleFeeds(ort, info.inputs ?? []);
      const session = await createSession(ort, path, info);
      const out = await session.run(feeds);
      assert.ok(Object.keys(out).length > 0, name);
      await session.release();
    }
  });

  it('says clearly when onnxruntime cannot load a file', async () => {
    const bad = join(dir, 'bad.onnx');
    copyFileSync(simpleCnn, bad);
    writeFileSync(bad, readFileSync(bad).subarray(0, 200));
    await assert.rejects(benchmarkOnnx(ort, bad, { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32] }] }), /onnxruntime could not load bad\.onnx/);
  });
});
