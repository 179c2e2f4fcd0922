import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDeployment, writeDeployment } from '../../src/models/deploy/deployPlan';
import { externalDataFile, PYTHON_EXTERNAL_DATA_CHECK } from '../../src/models/externalData';
import { inspectModel } from '../../src/models/inspectModel';
import { modelBytes, optimizeAndCompare } from '../../src/models/optimize/optimizeModel';
import { optimizeWithPython } from '../../src/models/optimize/pythonOptimize';
import { JOB_PRELUDE, runPythonJob } from '../../src/models/pythonJob';
import { benchmarkOnnx, loadOrt } from '../../src/models/runtime/onnxRun';

// ONNX models written by Python's onnx whose external data names files outside their folder:
// "../secret.bin", "sub/../../secret.bin", an absolute path, Windows' "..\\secret.bin", a
// symbolic link to the secret, a file under a symlinked folder. Deploy must not copy them,
// Optimize must not inline them, onnxruntime must not be given them, Python's onnx.load must not
// be run on them; a model whose data sits beside it still works.

const PYTHON = '/usr/bin/python3'; // Debian's, with python3-onnx
const SECRET = 'not model data: API_KEY=sk-secret';

const WRITE_MODELS = `
import sys
from onnx import helper, TensorProto, save
folder = sys.argv[1]
def model(name, location, where):
    t = TensorProto(); t.name = "k"; t.data_type = TensorProto.FLOAT; t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "16")):
        e = t.external_data.add(); e.key = key; e.value = value
    io = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4])
    add = helper.make_node("Add", ["x", "k"], ["y"])
    if where == "attribute":
        graph = helper.make_graph([helper.make_node("Constant", [], ["k"], value=t), add], "g", [io("x")], [io("y")])
    elif where == "subgraph":
        # An If whose branches hold the tensor as their own initializer (nested in a node's GRAPH attributes).
        branch = lambda: helper.make_graph([helper.make_node("Identity", ["k"], ["kk"])], "b", [], [helper.make_tensor_value_info("kk", TensorProto.FLOAT, [4])], initializer=[t])
        cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
        node = helper.make_node("If", ["c"], ["k"], then_branch=branch(), else_branch=branch())
        graph = helper.make_graph([node, add], "g", [io("x"), cond], [io("y")])
    else:
        graph = helper.make_graph([add], "g", [io("x")], [io("y")], initializer=[t])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    with open("%s/%s.onnx" % (folder, name), "wb") as f:
        f.write(m.SerializeToString())
for spec in sys.argv[2:]:
    name, location, where = spec.split("|")
    model(name, location, where)
`;

describe('ONNX external data stays inside the model\'s folder', function () {
  this.timeout(120_000);
  let root: string;
  let models: string;
  const cases: Record<string, string> = {};

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'mle-external-'));
    models = join(root, 'models');
    mkdirSync(join(models, 'sub'), { recursive: true });
    const floats = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
    // The secret is 16+ bytes, so a reader that follows the location would find "data" there.
    writeFileSync(join(root, 'secret.bin'), SECRET);
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'outside', 'w.bin'), SECRET);
    writeFileSync(join(models, 'good.bin'), floats);
    symlinkSync(join(root, 'secret.bin'), join(models, 'link.bin'));
    symlinkSync(join(root, 'outside'), join(models, 'linked'));
    Object.assign(cases, {
      good: 'good.bin',
      dotdot: '../secret.bin',
      nested: 'sub/../../secret.bin',
      absolute: join(root, 'secret.bin'),
      windows: '..\\secret.bin',
      drive: 'C:\\secret.bin',
      symlink: 'link.bin',
      linkedDir: 'linked/w.bin',
    });
    execFileSync(PYTHON, ['-c', WRITE_MODELS, models, ...Object.entries(cases).map(([name, location]) => `${name}|${location}|initializer`), 'attribute|../secret.bin|attribute', 'subgraph|../secret.bin|subgraph', 'subgraphGood|good.bin|subgraph']);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const model = (name: string): string => join(models, `${name}.onnx`);
  const hostile = (): string[] => Object.keys(cases).filter((c) => c !== 'good');

  it('the shared rule: each hostile location refused with its reason, the file beside the model allowed', () => {
    assert.equal(externalDataFile(model('good'), 'good.bin'), join(models, 'good.bin'));
    assert.equal(externalDataFile(model('good'), './good.bin'), join(models, 'good.bin'));
    const why = Object.fromEntries(hostile().map((name) => [name, (() => {
      try {
        externalDataFile(model(name), cases[name]!);
        return 'allowed';
      } catch (error) {
        return (error as Error).message.replace(/^external data "[^"]*" of \S+ /, '').replace(/: only files inside.*$/, '');
      }
    })()]));
    assert.deepEqual(why, {
      dotdot: 'climbs out of the folder with ".."',
      nested: 'climbs out of the folder with ".."',
      absolute: 'is an absolute path',
      windows: 'climbs out of the folder with ".."',
      drive: 'is an absolute path',
      symlink: 'goes through a symbolic link (link.bin)',
      linkedDir: 'goes through a symbolic link (linked)',
    });
    assert.throws(() => externalDataFile(model('good'), 'missing.bin'), /is missing/);
    assert.throws(() => externalDataFile(model('good'), 'sub'), /is not a file/);
  });

  it('lists external data named inside nodes (a Constant\'s tensor, an If branch\'s initializer), refused or copied as the graph\'s own', () => {
    for (const name of ['attribute', 'subgraph']) {
      const info = inspectModel(model(name));
      assert.deepEqual(info.externalData, ['../secret.bin'], name);
      assert.match(info.problems.join('\n'), /external data "\.\.\/secret\.bin" points outside the model's folder/, name);
      assert.throws(() => planDeployment(info, model(name), 'fastapi'), /only files inside the model's folder/, name);
    }
    const good = inspectModel(model('subgraphGood'));
    assert.deepEqual(good.externalData, ['good.bin']);
    assert.equal(modelBytes(model('subgraphGood'), good.externalData), statSync(model('subgraphGood')).size + 16, 'sized with its data file');
    const out = join(root, 'deploy-subgraph');
    writeDeployment(planDeployment(good, model('subgraphGood'), 'fastapi'), out);
    assert.deepEqual(readdirSync(join(out, 'model')).sort(), ['good.bin', 'subgraphGood.onnx']);
  });

  it('Deploy refuses to plan a copy of them (nothing written), and copies the file beside the model', () => {
    for (const name of hostile()) {
      assert.throws(() => planDeployment(inspectModel(model(name)), model(name), 'fastapi'), /only files inside the model's folder/, name);
    }
    const out = join(root, 'deploy');
    writeDeployment(planDeployment(inspectModel(model('good')), model('good'), 'fastapi'), out);
    assert.deepEqual(readdirSync(join(out, 'model')).sort(), ['good.bin', 'good.onnx']);
  });

  it('Optimize refuses to inline them and writes nothing; onnxruntime is never given them', async () => {
    const ort = loadOrt();
    for (const name of hostile()) {
      const out = join(models, `${name}.int8.onnx`);
      await assert.rejects(optimizeAndCompare(model(name), out, 'int8', () => ort), /only files inside the model's folder/, name);
      assert.equal(existsSync(out), false, `${name}: no copy written`);
      await assert.rejects(benchmarkOnnx(ort, model(name), inspectModel(model(name)), { runs: 1 }), /only files inside the model's folder/, name);
    }
    const r = await benchmarkOnnx(ort, model('good'), inspectModel(model('good')), { runs: 2, warmupRuns: 0 });
    assert.equal(r.runs, 2);
    const { report } = await optimizeAndCompare(model('good'), join(models, 'good.fp16.onnx'), 'fp16', () => ort);
    assert.match(report, /Largest output difference/);
  });

  it('Python\'s onnx.load is not run on them: the same rule in Python, which also sees tensors in node attributes', async () => {
    const script = `${JOB_PRELUDE}${PYTHON_EXTERNAL_DATA_CHECK}\ncheck_external_data(spec["model"])\nprint(json.dumps({"ok": True}))\n`;
    const check = (name: string): Promise<unknown> => runPythonJob(PYTHON, script, { model: model(name) }, { cwd: models }, { noun: 'the check', verb: 'check' });
    assert.deepEqual(await check('good'), { ok: true });
    for (const name of [...hostile(), 'attribute']) await assert.rejects(check(name), /only files inside the model's folder/, name);
    await assert.rejects(check('symlink'), /goes through a symbolic link \(link\.bin\)/);
    await assert.rejects(check('windows'), /climbs out of the folder/);
    await assert.rejects(check('drive'), /is an absolute path/);
    // Optimize's own Python job checks before onnx.load / quantize_dynamic (this Python has no
    // onnxruntime: a model that passes the check gets as far as importing it).
    await assert.rejects(optimizeWithPython(PYTHON, model('attribute'), join(models, 'a.int8.onnx'), 'int8', { cwd: models }), /only files inside the model's folder/);
    await assert.rejects(optimizeWithPython(PYTHON, model('good'), join(models, 'g.int8.onnx'), 'int8', { cwd: models }), /No module named 'onnxruntime'/);
  });
});
