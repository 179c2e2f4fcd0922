import assert from 'node:assert/strict';
import { optimizeChoices } from '../../src/models/optimize/optimizeChoices';
import { mdText, optimizeReportMarkdown, optimizeReportPath, optimizeSummaryLine, speedVerdict, type OptimizeFacts } from '../../src/models/optimize/optimizeReport';
import type { PythonOptimizers } from '../../src/models/optimize/pythonOptimize';
import { benchmarkLine, benchmarkText } from '../../src/models/runtime/benchmarkReport';
import { latencyStats, samplesPerSecond } from '../../src/models/runtime/benchmarkStats';
import type { BenchmarkResult } from '../../src/models/runtime/onnxRun';
import { pipInstallCommand } from '../../src/python/pythonModules';

// The Optimize report and picker, from facts: which tool and why, the install command where the
// Python tool is missing, output differences, and the speed verdict that says "no speed-up"
// when the means are within each other's noise. (The real thing, with onnxruntime running both
// models, is test/integration/onnxRuntime.test.ts and the models e2e suite.)

/** A benchmark result from synthetic latencies: `mean` ± `spread` in a fixed pattern. */
function result(mean: number, spread: number, runs = 200): BenchmarkResult {
  const times = Array.from({ length: runs }, (_, i) => mean + spread * Math.sin(i * 1.7));
  const stats = latencyStats(times);
  return {
    ...stats,
    batch: 1,
    inputShapes: { x: [1, 3, 32, 32] },
    loadMs: 12,
    throughput: samplesPerSecond(1, stats),
    runtime: 'onnxruntime-web 1.23.2, WebAssembly, 1 thread, CPU',
    warmupRuns: 6,
    warmupMs: 4,
    warmupSettled: true,
    stop: 'stable',
    target: 0.05,
    maxSeconds: 5,
  };
}

const MISSING: PythonOptimizers = { missing: { int8: 'onnxruntime is not installed in /usr/bin/python3', fp16: 'onnxconverter-common is not installed in /usr/bin/python3' } };

function facts(over: Partial<OptimizeFacts> = {}): OptimizeFacts {
  return {
    source: '/w/models/simple_cnn.onnx',
    out: '/w/models/simple_cnn.int8.onnx',
    precision: 'int8',
    method: 'built-in',
    tool: "ML Engineer's built-in weight-only int8 rewrite (no Python)",
    why: 'onnxruntime is not installed in /usr/bin/python3; with onnxruntime there, Optimize uses onnxruntime quantize_dynamic',
    install: '/usr/bin/python3 -m pip install onnxruntime',
    before: 112_131,
    after: 39_000,
    summary: '2 weight tensor(s) to int8.',
    notes: [],
    comparison: { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32], values: 'from N(0, 1)' }], samples: 4, outputs: [{ output: 'linear', maxAbsDiff: 0.00123, meanAbsDiff: 0.0003, maxAbs: 2.5 }] },
    benchmark: { original: result(0.5, 0.01), optimized: result(0.505, 0.01) },
    date: new Date('2026-01-02T03:04:05Z'),
    ...over,
  };
}

describe('Optimize report', () => {
  it('says which tool wrote the copy and why, with the install command, sizes, differences and both benchmarks', () => {
    const md = optimizeReportMarkdown(facts());
    assert.match(md, /^# Optimize: simple_cnn\.onnx → simple_cnn\.int8\.onnx$/m);
    assert.match(md, /^\| Written by \| ML Engineer's built-in weight-only int8 rewrite \(no Python\) \|$/m);
    assert.match(md, /^\| Why this tool \| onnxruntime is not installed in \/usr\/bin\/python3; with onnxruntime there, Optimize uses onnxruntime quantize_dynamic \|$/m);
    assert.match(md, /^\| To use the Python tool \| `\/usr\/bin\/python3 -m pip install onnxruntime`, then optimize again \|$/m);
    assert.match(md, /^\| Size \| 110 KB → 38 KB \(35% of the original\) \|$/m);
    assert.match(md, /4 sample inputs \(x float32 \[1, 3, 32, 32\] from N\(0, 1\)/);
    assert.match(md, /^\| linear \| 0\.00123 \| 0\.000300 \| 2\.50 \|$/m);
    assert.match(md, /^\| mean \| 0\.500 ms ±0\.\d% \| 0\.505 ms ±0\.\d% \|$/m);
    assert.match(md, /^\| throughput \| 2000 samples\/s \| 1980 samples\/s \|$/m);
    assert.match(md, /Runtime: onnxruntime-web 1\.23\.2, WebAssembly, 1 thread, CPU\./);
    assert.match(md, /samples\/s = batch × runs \/ measured time/);
  });

  it('says "No speed-up" plainly when the copy is within noise of the original, and why weight-only int8 gives none', () => {
    const md = optimizeReportMarkdown(facts());
    assert.match(md, /\*\*No speed-up\*\* \(mean 0\.500 ms → 0\.505 ms, 0\.99x: within measurement noise\)\. Weight-only int8 stores the weights as int8/);
    assert.match(optimizeSummaryLine(facts()), /^Wrote simple_cnn\.int8\.onnx with the built-in rewrite: 110 KB → 38 KB \(35%\), no speed-up\.$/);
  });

  it('calls a copy faster or slower only when the means differ beyond their intervals and by more than 5%', () => {
    assert.equal(speedVerdict(result(1, 0.02), result(0.5, 0.01)).kind, 'faster');
    assert.match(speedVerdict(result(1, 0.02), result(0.5, 0.01)).text, /\*\*Faster: 2\.00x\*\*/);
    assert.equal(speedVerdict(result(0.5, 0.01), result(1, 0.02)).kind, 'slower');
    assert.match(speedVerdict(result(0.5, 0.01), result(1, 0.02)).text, /No speed-up: the optimized model is slower\*\*, 2\.00x/);
    assert.equal(speedVerdict(result(1, 0.01), result(0.97, 0.01)).kind, 'same', '3% apart: not a speed-up');
    // 20% apart on average, but so noisy (few runs, a wide spread) that the intervals overlap.
    assert.equal(speedVerdict(result(1, 0.9, 6), result(0.8, 0.9, 6)).kind, 'same');
    // The original's mean is pulled up by stalls (1 run in 20 at 20x), its median is not: no speed-up.
    const stalls = { ...result(1, 0.01), meanMs: 1.95, ciHalfWidthMs: 0.1 };
    assert.equal(speedVerdict(stalls, result(1, 0.01)).kind, 'same');
  });

  it('says what could not be measured instead of leaving it out', () => {
    const md = optimizeReportMarkdown(facts({ comparison: { error: 'onnxruntime could not load x.onnx: bad' }, benchmark: { error: 'cancelled' } }));
    assert.match(md, /Outputs not compared: onnxruntime could not load x\.onnx: bad/);
    assert.match(md, /Not benchmarked: cancelled/);
  });

  it('makes names from the model file inert in the Markdown (no HTML, links or extra table cells)', () => {
    const md = optimizeReportMarkdown(facts({ comparison: { inputs: [], samples: 1, outputs: [{ output: '<img src=x onerror=alert(1)>|[a](javascript:b)\n# h', maxAbsDiff: 0, meanAbsDiff: 0, maxAbs: 0 }] } }));
    assert.match(md, /^\| \\<img src=x onerror=alert\(1\)\\>\\\|\\\[a\\\]\(javascript:b\) # h \| 0\.00 \| 0\.00 \| 0\.00 \|$/m);
    assert.equal(mdText('a`b'), 'a\\`b');
  });

  it('is written beside the copy', () => {
    assert.equal(optimizeReportPath('/w/m/net.int8.onnx'), '/w/m/net.int8.report.md');
  });
});

describe('Optimize choices', () => {
  it('offers the Python tools the interpreter lacks, marked with the package, where, and the install command', () => {
    const choices = optimizeChoices(MISSING, '/usr/bin/python3');
    assert.deepEqual(
      choices.map((c) => [c.precision, c.method, c.label, c.description]),
      [
        ['int8', 'python', 'Dynamic int8', 'needs onnxruntime in /usr/bin/python3'],
        ['int8', 'built-in', 'Weight-only int8', 'built in, no Python needed'],
        ['fp16', 'python', 'fp16 (onnxconverter-common)', 'needs onnxconverter-common in /usr/bin/python3'],
        ['fp16', 'built-in', 'fp16 (built in)', 'built in, no Python needed'],
      ],
    );
    assert.equal(choices[0]!.missing?.install, '/usr/bin/python3 -m pip install onnxruntime');
    assert.equal(choices[2]!.missing?.install, '/usr/bin/python3 -m pip install onnxconverter-common');
    assert.equal(choices[1]!.missing, undefined);
  });

  it('names the versions when the tools are there, and says when there is no Python at all', () => {
    const there = optimizeChoices({ onnxruntime: '1.17.1', onnxconverterCommon: '1.14.0', missing: { int8: undefined, fp16: undefined } }, '/venv/bin/python');
    assert.deepEqual(there.filter((c) => c.method === 'python').map((c) => [c.description, c.missing]), [
      ['onnxruntime 1.17.1 quantize_dynamic', undefined],
      ['onnxconverter-common 1.14.0 convert_float_to_float16', undefined],
    ]);
    const none = optimizeChoices(undefined, undefined);
    assert.equal(none[0]!.missing?.short, 'needs Python with onnxruntime (no Python found)');
    assert.equal(none[0]!.missing?.install, undefined);
    const broken = optimizeChoices({ missing: { int8: 'onnxruntime does not import in /p (ImportError: x)', fp16: undefined } }, '/p');
    assert.equal(broken[0]!.description, 'onnxruntime does not import in /p (ImportError: x)');
  });

  it('quotes an interpreter path that needs it, for a POSIX shell and for PowerShell', () => {
    assert.equal(pipInstallCommand('/usr/bin/python3', ['onnxruntime'], 'linux'), '/usr/bin/python3 -m pip install onnxruntime');
    assert.equal(pipInstallCommand("/home/a b/it's/python", ['onnxruntime'], 'linux'), `'/home/a b/it'\\''s/python' -m pip install onnxruntime`);
    assert.equal(pipInstallCommand('C:\\Program Files\\Python312\\python.exe', ['onnxruntime'], 'win32'), '& "C:\\Program Files\\Python312\\python.exe" -m pip install onnxruntime');
    assert.equal(pipInstallCommand('C:\\Python312\\python.exe', ['onnxruntime'], 'win32'), 'C:\\Python312\\python.exe -m pip install onnxruntime');
  });
});

describe('Benchmark text', () => {
  it('leads with the mean, gives p50/p95/p99/min, throughput with its basis, and the runtime with its threads', () => {
    const r = result(2, 0.1);
    assert.match(benchmarkLine(r), /^mean 2\.00 ms \(±\d\.\d%\), p50 [\d.]+, p95 [\d.]+, p99 [\d.]+, min [\d.]+ ms over 200 runs; 500 samples\/s \(batch 1 × runs \/ measured time\); onnxruntime-web 1\.23\.2, WebAssembly, 1 thread, CPU$/);
    const text = benchmarkText('models/a.onnx', r);
    assert.match(text, /^\| p99 \| [\d.]+ ms \|$/m);
    assert.match(text, /6 warm-up runs \(4\.00 ms, until timings settled\), then stopped when the mean was known to ±\d\.\d% \(target ±5%\)/);
  });
});
