import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEPLOY_TARGETS, existingFiles, planDeployment, writeDeployment } from '../../src/models/deploy/deployPlan';
import { tritonConfig } from '../../src/models/deploy/tritonConfig';
import { inspectModel } from '../../src/models/inspectModel';

// Deploy scaffolds checked by the real tools: every Triton config parsed by protobuf's text-format
// parser and compared with the model as Python's onnx reads it; generated Python compiled by
// CPython; YAML parsed; the written folder holds the model and its external data.

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx');
const PYTHON = '/usr/bin/python3'; // Debian's, with python3-onnx and python3-protobuf (scripts/ensure-prerequisites.sh)
const checker = join(__dirname, '..', 'support', 'triton_config_check.py');

describe('Deploy scaffolds (Triton, FastAPI, KServe, BentoML)', function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-deploy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds Triton configs that protobuf parses and that match every corpus model as onnx reads it', () => {
    const models = readdirSync(corpus, { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).map((f) => join(corpus, f));
    const args: string[] = [];
    let skipped = 0;
    models.forEach((model, i) => {
      const info = inspectModel(model);
      if (!info.inputs?.length || !info.outputs?.length) return void skipped++;
      const config = tritonConfig(info, { name: `m${i}` });
      if (config.problems.length > 0) return void skipped++; // dtypes Triton has no type for (complex, float8)
      const path = join(dir, `m${i}.pbtxt`);
      writeFileSync(path, config.text);
      args.push(model, path);
    });
    assert.ok(args.length / 2 > 80, `${args.length / 2} models checked, ${skipped} skipped`);
    const results = JSON.parse(execFileSync(PYTHON, [checker, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as {
      model: string;
      platform: string;
      max_batch_size: number;
      batched: boolean;
      dynamic_batching: boolean;
      inputs: [unknown, unknown];
      outputs: [unknown, unknown];
    }[];
    assert.equal(results.length, args.length / 2);
    let batched = 0;
    for (const r of results) {
      assert.equal(r.platform, 'onnxruntime_onnx');
      assert.deepEqual(r.inputs[0], r.inputs[1], `${r.model}: inputs`);
      assert.deepEqual(r.outputs[0], r.outputs[1], `${r.model}: outputs`);
      assert.equal(r.max_batch_size > 0, r.batched, `${r.model}: max_batch_size`);
      assert.equal(r.dynamic_batching, r.batched);
      if (r.batched) batched++;
    }
    // Both shapes of config are covered: simple_cnn's symbolic batch axis, and fixed-shape test models.
    assert.ok(batched >= 1 && results.length - batched >= 1, `${batched} of ${results.length} with a batch axis`);
  });

  it('writes a Triton repository for a model with external data: config, model.onnx and its data file in version 1', () => {
    const model = join(corpus, 'external_data', 'simple_cnn.onnx');
    const plan = planDeployment(inspectModel(model), model, 'triton');
    assert.equal(plan.name, 'simple_cnn');
    writeDeployment(plan, dir);
    assert.deepEqual(readdirSync(join(dir, 'simple_cnn', '1')).sort(), ['model.onnx', 'simple_cnn.onnx.data']);
    const config = readFileSync(join(dir, 'simple_cnn', 'config.pbtxt'), 'utf8');
    assert.match(config, /max_batch_size: 8/);
    assert.match(config, /name: "x"\n {4}data_type: TYPE_FP32\n {4}dims: \[ 3, 32, 32 \]/);
    assert.match(config, /name: "linear"\n {4}data_type: TYPE_FP32\n {4}dims: \[ 10 \]/);
    assert.deepEqual(existingFiles(plan, dir).length, plan.files.length + plan.copies.length, 'a second deploy sees every file it would replace');
  });

  it('generates Python that CPython compiles and YAML that parses, for every target', () => {
    const model = join(corpus, 'external_data', 'simple_cnn.onnx');
    const info = inspectModel(model);
    for (const target of DEPLOY_TARGETS) {
      const out = join(dir, target);
      const plan = planDeployment(info, model, target);
      writeDeployment(plan, out);
      for (const file of plan.files) {
        const path = join(out, file.path);
        if (file.path.endsWith('.py')) execFileSync(PYTHON, ['-m', 'py_compile', path]);
        if (file.path.endsWith('.yaml')) assert.ok(parseYaml(readFileSync(path, 'utf8')), `${target}: ${file.path}`);
      }
      assert.ok(existsSync(join(out, plan.copies[0]!.to)));
    }
    const kserve = parseYaml(readFileSync(join(dir, 'kserve', 'inferenceservice.yaml'), 'utf8')) as { kind: string; metadata: { name: string }; spec: { predictor: { model: { modelFormat: { name: string }; protocolVersion: string } } } };
    assert.equal(kserve.kind, 'InferenceService');
    assert.equal(kserve.metadata.name, 'simple-cnn');
    assert.deepEqual([kserve.spec.predictor.model.modelFormat.name, kserve.spec.predictor.model.protocolVersion], ['onnx', 'v2']);
    const sample = JSON.parse(readFileSync(join(dir, 'fastapi', 'sample_request.json'), 'utf8')) as { inputs: { x: number[][][][] } };
    assert.deepEqual([sample.inputs.x.length, sample.inputs.x[0]!.length, sample.inputs.x[0]![0]!.length, sample.inputs.x[0]![0]![0]!.length], [1, 3, 32, 32]);
  });

  it('compiles the generated Python for models whose tensor names are not identifiers', () => {
    const names = readdirSync(join(corpus, 'node')).filter((f) => f.endsWith('.onnx')).slice(0, 40);
    let compiled = 0;
    for (const name of names) {
      const model = join(corpus, 'node', name);
      const info = inspectModel(model);
      if (!info.inputs?.length || !info.outputs?.length) continue;
      for (const target of ['fastapi', 'bentoml'] as const) {
        const plan = planDeployment(info, model, target);
        const file = join(dir, `${name}.${target}.py`);
        writeFileSync(file, plan.files[0]!.content);
        execFileSync(PYTHON, ['-m', 'py_compile', file]);
        compiled++;
      }
    }
    assert.ok(compiled > 40);
  });

  it('refuses models it cannot serve, with a reason', () => {
    const safetensors = join(__dirname, '..', '..', 'examples', 'models', 'tiny_classifier.safetensors');
    assert.throws(() => planDeployment(inspectModel(safetensors), safetensors, 'triton'), /Export it to ONNX first/);
  });
});
