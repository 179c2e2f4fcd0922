import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel } from '../../src/models/inspectModel';
import { optimizeChoices } from '../../src/models/optimize/optimizeChoices';
import { optimizeAndCompare } from '../../src/models/optimize/optimizeModel';
import { pythonOptimizers } from '../../src/models/optimize/pythonOptimize';
import { compareModels, loadOrt, type OrtModule } from '../../src/models/runtime/onnxRun';

// Optimize Model… with the user's Python: onnxruntime.quantization (int8) and onnxconverter-common
// (fp16) where that Python has them, else the built-in rewrites, saying why. Debian packages
// neither (and PyPI is not reachable here), so on these machines the probe and the fallback run,
// and the Python path runs only where they are installed. What the Python path writes is checked
// by the onnxruntime we ship: a model built with onnx's helper in the shape quantize_dynamic writes
// (DynamicQuantizeLinear + MatMulInteger) runs and is compared with its float original.

const PYTHON = '/usr/bin/python3';
const simpleCnn = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx', 'external_data', 'simple_cnn.onnx');

describe('Optimize with the user\'s Python tools, or built in', function () {
  this.timeout(120_000);
  let ort: OrtModule;
  let dir: string;
  before(() => {
    ort = loadOrt();
    dir = mkdtempSync(join(tmpdir(), 'mle-pyopt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('asks the Python what it has, and names what is missing and where', async () => {
    const tools = await pythonOptimizers(PYTHON);
    if (!tools.onnxruntime) assert.equal(tools.missing.int8, `onnxruntime is not installed in ${PYTHON}`);
    if (!tools.onnxconverterCommon) assert.equal(tools.missing.fp16, `onnxconverter-common is not installed in ${PYTHON}`);
    const [dynamic] = optimizeChoices(tools, PYTHON);
    assert.equal(dynamic!.label, 'Dynamic int8');
    if (tools.onnxruntime) assert.equal(dynamic!.missing, undefined);
    else assert.deepEqual([dynamic!.description, dynamic!.missing?.install], [`needs onnxruntime in ${PYTHON}`, `${PYTHON} -m pip install onnxruntime`]);
    const none = await pythonOptimizers('/nonexistent/python3');
    assert.match(none.missing.int8 ?? '', /\/nonexistent\/python3 could not be asked \(not-found\)/);
    assert.deepEqual([none.onnxruntime, none.onnxconverterCommon], [undefined, undefined]);
  });

  it('without onnxruntime in the Python: the built-in int8, and the report says why and how to install it', async function () {
    if ((await pythonOptimizers(PYTHON)).onnxruntime) this.skip();
    const out = join(dir, 'simple_cnn.int8.onnx');
    const { report, reportPath } = await optimizeAndCompare(simpleCnn, out, 'int8', () => ort, { python: PYTHON, benchmarkSeconds: 1 });
    assert.match(report, /weight tensor\(s\) to int8/);
    assert.match(report, new RegExp(`^\\| Why this tool \\| onnxruntime is not installed in ${PYTHON}; with onnxruntime there, Optimize uses onnxruntime quantize_dynamic \\|$`, 'm'));
    assert.match(report, new RegExp(`^\\| To use the Python tool \\| \`${PYTHON} -m pip install onnxruntime\`, then optimize again \\|$`, 'm'));
    assert.match(report, /Largest output difference on the sample inputs: linear \d/);
    rmSync(out);
    rmSync(reportPath!);
  });

  it('the Python tool asked for where it is missing: a clear error, nothing written', async function () {
    if ((await pythonOptimizers(PYTHON)).onnxruntime) this.skip();
    const out = join(dir, 'simple_cnn.forced.onnx');
    await assert.rejects(optimizeAndCompare(simpleCnn, out, 'int8', () => ort, { python: PYTHON, method: 'python' }), new RegExp(`onnxruntime is not installed in ${PYTHON}: install it with "${PYTHON} -m pip install onnxruntime", or pick the built-in rewrite`));
    assert.equal(existsSync(out), false);
  });

  it('with the Python tools: dynamic int8 and fp16 by them, compared by onnxruntime', async function () {
    const tools = await pythonOptimizers(PYTHON);
    if (!tools.onnxruntime || !tools.onnxconverterCommon) this.skip();
    for (const precision of ['int8', 'fp16'] as const) {
      const out = join(dir, `simple_cnn.py.${precision}.onnx`);
      const { report } = await optimizeAndCompare(simpleCnn, out, precision, () => ort, { python: PYTHON, benchmarkSeconds: 1 });
      assert.match(report, precision === 'int8' ? /\| Written by \| onnxruntime [\d.]+ quantize_dynamic in / : /\| Written by \| onnxconverter-common [\d.]+ convert_float_to_float16 in /);
      const [diff] = await compareModels(ort, { path: simpleCnn, info: inspectModel(simpleCnn) }, out);
      assert.ok(diff!.maxAbsDiff < 0.05 * Math.max(1, diff!.maxAbs), report);
    }
  });

  it('cancelled: nothing is left beside the model', async () => {
    const out = join(dir, 'simple_cnn.cancelled.onnx');
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(optimizeAndCompare(simpleCnn, out, 'fp16', () => ort, { python: PYTHON, signal: abort.signal }), /cancelled/);
    assert.equal(existsSync(out), false);
  });

  it('the onnxruntime we ship runs and compares what quantize_dynamic writes (DynamicQuantizeLinear + MatMulInteger)', async () => {
    // Built with onnx's helper (Debian python3-onnx) as quantize_dynamic rewrites a MatMul: the
    // input quantized at run time to uint8, int8 weights, the integer product rescaled.
    const script = `
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as T
W = np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32)
scale = np.float32(np.abs(W).max() / 127)
x = helper.make_tensor_value_info("x", T.FLOAT, ["batch", 16])
y = helper.make_tensor_value_info("y", T.FLOAT, ["batch", 8])
def save(nodes, inits, path):
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y], inits), opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
save([helper.make_node("MatMul", ["x", "W"], ["y"])], [numpy_helper.from_array(W, "W")], sys.argv[1])
save([
    helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
    helper.make_node("MatMulInteger", ["xq", "Wq", "xz", "Wz"], ["yi"]),
    helper.make_node("Cast", ["yi"], ["yf"], to=T.FLOAT),
    helper.make_node("Mul", ["xs", "Ws"], ["s"]),
    helper.make_node("Mul", ["yf", "s"], ["y"]),
], [numpy_helper.from_array(np.round(W / scale).astype(np.int8), "Wq"), numpy_helper.from_array(np.array(0, np.int8), "Wz"), numpy_helper.from_array(np.array(scale, np.float32), "Ws")], sys.argv[2])
`;
    const float = join(dir, 'matmul.onnx');
    const quantized = join(dir, 'matmul.dynamic-int8.onnx');
    execFileSync(PYTHON, ['-c', script, float, quantized]);
    const [diff] = await compareModels(ort, { path: float, info: inspectModel(float) }, quantized);
    assert.equal(diff!.output, 'y');
    assert.ok(diff!.maxAbsDiff > 0 && diff!.maxAbsDiff < 0.05 * diff!.maxAbs, `${diff!.maxAbsDiff} of ${diff!.maxAbs}`);
    assert.deepEqual(inspectModel(quantized).operators, { DynamicQuantizeLinear: 1, MatMulInteger: 1, Cast: 1, Mul: 2 });
  });
});
