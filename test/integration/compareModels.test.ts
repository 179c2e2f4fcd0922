import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { compareTwoModels, comparisonMarkdown } from '../../src/models/compare/twoModels';
import { inspectModel } from '../../src/models/inspectModel';
import { quantizeWeightsInt8 } from '../../src/models/optimize/onnxWeightQuantize';
import { loadOrt } from '../../src/models/runtime/onnxRun';

// Compare Models on real ONNX files from shared/corpora (the ONNX repository's light models) with
// onnxruntime-web: a model against itself (difference 0), against its int8-weight copy (small, not
// 0), against another network with the same input (ResNet-50 vs SqueezeNet: large), and a pair that
// cannot share inputs (said, not run).

const CORPUS = '/work/shared/corpora/onnx';
const SQUEEZENET = join(CORPUS, 'light', 'light_squeezenet.onnx');
const RESNET = join(CORPUS, 'light', 'light_resnet50.onnx');
const RELU = join(CORPUS, 'simple', 'test_single_relu_model.onnx');
const MLP = `
import sys, numpy as np
from onnx import helper, numpy_helper, TensorProto
rng = np.random.default_rng(0)
w1 = numpy_helper.from_array(rng.normal(0, 0.1, (64, 256)).astype(np.float32), "w1")
w2 = numpy_helper.from_array(rng.normal(0, 0.1, (256, 10)).astype(np.float32), "w2")
g = helper.make_graph([helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["y"])], "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])], initializer=[w1, w2])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
open(sys.argv[1], "wb").write(m.SerializeToString())
`;

describe('Compare Models: two real ONNX files run on the same inputs', function () {
  this.timeout(180_000);
  let dir: string;
  const ort = () => loadOrt();
  const model = (path: string) => ({ path, info: inspectModel(path) });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-compare-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a model against its copy: the same outputs exactly; against its int8-weight copy: small but not zero, smaller on disk', async () => {
    const copy = join(dir, 'copy.onnx');
    copyFileSync(SQUEEZENET, copy);
    const same = await compareTwoModels(ort, model(SQUEEZENET), model(copy), { skipBenchmark: true });
    assert.equal(same.notRun, undefined);
    assert.deepEqual(same.ioDifferences, []);
    assert.ok(same.outputs!.length > 0);
    for (const o of same.outputs!) assert.equal(o.maxAbsDiff, 0);
    // An MLP written by the onnx package (opset 13: int8 weights need DequantizeLinear, opset 10+), and its int8-weight copy.
    const mlp = join(dir, 'mlp.onnx');
    execFileSync('/usr/bin/python3', ['-c', MLP, mlp]);
    const int8 = join(dir, 'int8.onnx');
    writeFileSync(int8, quantizeWeightsInt8(mlp).model);
    const q = await compareTwoModels(ort, model(mlp), model(int8), { maxSeconds: 2 });
    assert.ok(q.b.bytes < q.a.bytes);
    assert.ok((q.b.operators.DequantizeLinear ?? 0) > 0 && !q.a.operators.DequantizeLinear);
    for (const o of q.outputs!) assert.ok(o.maxAbsDiff > 0 && o.maxAbsDiff < 0.5 * Math.max(o.maxAbs, 1e-6), `${o.a}: ${o.maxAbsDiff} of ${o.maxAbs}`);
    assert.equal(q.benchmark?.length, 2);
    for (const r of q.benchmark) assert.ok(r.runs > 0 && r.p50Ms > 0);
    const text = comparisonMarkdown(q);
    assert.match(text, /## Outputs on the same sample inputs \(onnxruntime-web/);
    assert.match(text, /\| DequantizeLinear \| 0 \| \d+ \|/);
    assert.match(text, /## Benchmark, side by side/);
  });

  it('two networks on the same input: outputs paired by position when their names differ; a pair with different inputs is not run', async () => {
    const nets = await compareTwoModels(ort, model(SQUEEZENET), model(RESNET), { skipBenchmark: true, samples: 1 });
    assert.equal(nets.notRun, undefined);
    assert.equal(nets.outputs!.length, 1);
    // The light models' weights are constants (ConstantOfShape): both give a near-uniform softmax, and 1,000 elements against 1,000 compare.
    assert.ok(Number.isFinite(nets.outputs![0]!.maxAbsDiff) && nets.outputs![0]!.maxAbsDiff < 1e-3, String(nets.outputs![0]!.maxAbsDiff));
    assert.equal(nets.outputs![0]!.b, 'gpu_0/softmax_1');
    const apart = await compareTwoModels(ort, model(SQUEEZENET), model(RELU), {});
    assert.match(apart.notRun!, /inputs differ/);
    assert.equal(nets.benchmark, undefined, 'inputs paired by position: no benchmark (it feeds by name)');
    assert.ok(apart.ioDifferences.length > 0);
    assert.match(comparisonMarkdown(apart), /Not run: their inputs differ/);
  });

  it('ml-engineer compare-models A B: Markdown, --json, and a file that is not a model', async () => {
    const cli = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(['compare-models', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: dir }, { version: 'test', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
      return { code, out, err };
    };
    const md = await cli(SQUEEZENET, RESNET, '--no-benchmark');
    assert.equal(md.code, 0, md.err);
    assert.match(md.out, /^# light_squeezenet\.onnx vs light_resnet50\.onnx/);
    const json = await cli(SQUEEZENET, SQUEEZENET, '--json', '--no-benchmark');
    assert.equal(json.code, 0, json.err);
    assert.equal((JSON.parse(json.out) as { outputs: { maxAbsDiff: number }[] }).outputs[0]!.maxAbsDiff, 0);
    writeFileSync(join(dir, 'notes.txt'), 'not a model');
    const bad = await cli('notes.txt', SQUEEZENET);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^ml-engineer compare-models: /);
  });
});
