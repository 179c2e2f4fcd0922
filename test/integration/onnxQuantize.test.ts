import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError } from '../../src/models/fileWindow';
import { inspectModel } from '../../src/models/inspectModel';
import { convertToFloat16 } from '../../src/models/optimize/onnxFloat16';
import { quantizeWeightsInt8 } from '../../src/models/optimize/onnxWeightQuantize';
import { compareModels, createSession, loadOrt, sampleFeeds } from '../../src/models/runtime/onnxRun';

// The embedded weight-only int8 quantizer checked by the onnx package: the rewritten model passes
// onnx.checker, each DequantizeLinear restores its weight within half a scale step, and the model's
// output on random inputs (a small numpy evaluator) stays close to the original's.

const PYTHON = '/usr/bin/python3';
const script = join(__dirname, '..', 'support', 'onnx_quantize_check.py');
const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx');

describe('ONNX weight-only int8 quantization (embedded)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-quant-'));
    execFileSync(PYTHON, [script, 'make', dir]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = (orig: string, quant: string) =>
    JSON.parse(execFileSync(PYTHON, [script, 'check', orig, quant], { encoding: 'utf8' })) as { dequantize_nodes: number; external: boolean; worst_weight_error_in_scales: number; max_output_diff: number; max_output: number };

  for (const name of ['mlp.onnx', 'mlp_floatdata.onnx', 'mlp_external.onnx']) {
    it(`${name}: valid, weights within half a step, outputs close, 4x smaller weights`, () => {
      const source = join(dir, name);
      const result = quantizeWeightsInt8(source);
      const out = join(dir, name.replace('.onnx', '.int8.onnx'));
      writeFileSync(out, result.model);
      assert.deepEqual(result.tensors.map((t) => t.name), ['w1', 'w2'], 'the 32x64 and 64x16 weights; the 64-element bias stays float');
      assert.equal(result.floatBytes, (32 * 64 + 64 * 16) * 4);
      assert.equal(result.int8Bytes, 32 * 64 + 64 * 16);
      const r = check(source, out);
      assert.equal(r.dequantize_nodes, 2);
      assert.equal(r.external, false, 'external data is written inline');
      assert.ok(r.worst_weight_error_in_scales <= 0.5001, `weight error ${r.worst_weight_error_in_scales} steps`);
      assert.ok(r.max_output_diff < 0.02 * r.max_output, `output differs by ${r.max_output_diff} (outputs up to ${r.max_output})`);
      assert.ok(r.max_output_diff > 0, 'int8 weights do change the output a little');
      // Our own reader sees the new model: same inputs and outputs, DequantizeLinear in the histogram.
      const info = inspectModel(out);
      assert.deepEqual(info.inputs?.map((i) => i.name), ['x']);
      assert.equal(info.operators?.DequantizeLinear, 2);
      assert.equal(info.bytesByDtype.int8, 32 * 64 + 64 * 16 + 2);
    });
  }

  it('leaves an initializer that is also a graph input (old IRs) as float, and says so', () => {
    const result = quantizeWeightsInt8(join(dir, 'old_ir.onnx'));
    assert.deepEqual(result.tensors.map((t) => t.name), ['w2']);
    assert.match(result.notes.join(), /w1: also a graph input/);
    const out = join(dir, 'old_ir.int8.onnx');
    writeFileSync(out, result.model);
    assert.equal(check(join(dir, 'old_ir.onnx'), out).dequantize_nodes, 1);
  });

  it('quantizes a real exported model with external data (simple_cnn) into one smaller file', () => {
    const source = join(corpus, 'external_data', 'simple_cnn.onnx');
    const result = quantizeWeightsInt8(source);
    const out = join(dir, 'simple_cnn.int8.onnx');
    writeFileSync(out, result.model);
    assert.deepEqual(result.tensors.map((t) => t.name).sort(), ['conv2.weight', 'fc.weight']);
    const before = statSync(source).size + statSync(`${source}.data`).size;
    assert.ok(statSync(out).size < before * 0.4, `${statSync(out).size} bytes from ${before}`);
    const info = inspectModel(out);
    assert.deepEqual(info.externalData ?? [], []);
    assert.deepEqual(info.outputs?.map((o) => o.shape), [['batch_size', 10]]);
  });

  it('refuses a model whose opset has no DequantizeLinear', () => {
    assert.throws(() => quantizeWeightsInt8(join(corpus, 'light', 'light_squeezenet.onnx')), (e: unknown) => e instanceof ModelFormatError && /opset 9/.test(e.message));
  });

  it('fp16: the converted models pass onnx.checker with full type inference (new and old IRs, external data, the corpus squeezenet)', () => {
    const sources = [join(dir, 'mlp.onnx'), join(dir, 'mlp_external.onnx'), join(dir, 'old_ir.onnx'), join(corpus, 'light', 'light_squeezenet.onnx')];
    const outs = sources.map((source, i) => {
      const out = join(dir, `fp16_${i}.onnx`);
      writeFileSync(out, convertToFloat16(source).model);
      return out;
    });
    const script = 'import onnx, sys\nfor p in sys.argv[1:]:\n    m = onnx.load(p)\n    onnx.checker.check_model(m, full_check=True)\n    print(sum(t.data_type == 10 for t in m.graph.initializer) + sum(a.t.data_type == 10 for n in m.graph.node for a in n.attribute if a.HasField("t")))';
    const halves = execFileSync(PYTHON, ['-c', script, ...outs], { encoding: 'utf8' }).trim().split('\n').map(Number);
    assert.deepEqual(halves.slice(0, 3), [3, 3, 3], 'w1, b1, w2 in float16');
    assert.ok(halves[3]! > 20, 'squeezenet makes its weights with ConstantOfShape: their values are float16 now');
  });

  it('fp16: refuses models with operators it does not convert, naming them', () => {
    assert.throws(() => convertToFloat16(join(corpus, 'node', 'test_if_opt.onnx')), /also uses If/);
  });

  it('fp16 across the corpus: operators without fp16 kernels stay float32 between Casts; type-checked by onnx, run by onnxruntime within fp16 precision', async () => {
    const ort = loadOrt();
    const files = readdirSync(corpus, { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).sort();
    const converted: { name: string; out: string; islands: readonly string[] }[] = [];
    const refused: string[] = [];
    for (const name of files) {
      try {
        const r = convertToFloat16(join(corpus, name));
        const out = join(dir, `corpus_${converted.length}.onnx`);
        writeFileSync(out, r.model);
        converted.push({ name, out, islands: r.float32Ops });
      } catch (error) {
        assert.ok(error instanceof ModelFormatError, `${name}: ${String(error)}`);
        refused.push(`${name}: ${error.message}`);
      }
    }
    // Refused only for subgraphs, other domains and operators whose types are not followed here, each named.
    assert.ok(refused.every((r) => /also uses [\w.]+|subgraph|ConstantOfShape without a value|external data/.test(r)), refused.join('\n'));
    assert.ok(refused.some((r) => /test_if_opt.*If/.test(r)));
    // onnx.checker with full type inference, for every model whose original Debian's onnx can check
    // (newer IRs and opsets it cannot): a missing or wrong Cast is a type error here.
    const checkScript = 'import onnx, sys, json\nok = []\nfor orig, conv in zip(sys.argv[1::2], sys.argv[2::2]):\n    try:\n        onnx.checker.check_model(onnx.load(orig), full_check=True)\n    except Exception:\n        continue\n    onnx.checker.check_model(onnx.load(conv), full_check=True)\n    ok.append(conv)\nprint(json.dumps(ok))';
    const checked = JSON.parse(execFileSync(PYTHON, ['-c', checkScript, ...converted.flatMap((c) => [join(corpus, c.name), c.out])], { encoding: 'utf8' })) as string[];
    assert.ok(checked.length >= 20, `${checked.length} type-checked`);
    // Run by onnxruntime where the original runs on sample inputs: outputs within fp16 precision.
    const ran: string[] = [];
    for (const c of converted) {
      const original = join(corpus, c.name);
      const info = inspectModel(original);
      try {
        const session = await createSession(ort, original, info);
        await session.run(sampleFeeds(ort, info.inputs ?? []));
        await session.release();
      } catch {
        continue; // the original itself does not run here (opsets, sample values out of an operator's range)
      }
      for (const d of await compareModels(ort, { path: original, info }, c.out)) {
        assert.ok(d.maxAbsDiff <= 1e-2 * Math.max(1, d.maxAbs), `${c.name} ${d.output}: ${d.maxAbsDiff} of ${d.maxAbs}`);
      }
      ran.push(c.name);
    }
    const islandsRun = converted.filter((c) => c.islands.length > 0 && ran.includes(c.name)).map((c) => `${c.name.split('/').pop()}: ${c.islands.join(', ')}`);
    assert.ok(ran.length >= 25, `${ran.length} ran`);
    assert.ok(islandsRun.length >= 8, islandsRun.join('\n'));
    assert.ok(islandsRun.some((i) => /cumsum.*CumSum/.test(i)) && islandsRun.some((i) => /gridsample.*GridSample/.test(i)), islandsRun.join('\n'));
  });
});
