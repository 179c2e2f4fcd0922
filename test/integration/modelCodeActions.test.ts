import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findModelSite, scriptFacts } from '../../src/models/codeActions/modelSites';
import { actionsFor, outputPath, servingApp, snippetFor, type ModelAction } from '../../src/models/codeActions/modelSnippets';
import { PythonSyntax } from '../../src/models/codeActions/pythonSyntax';
import { planModelCode, type InsertionPlace, type ModelCodePlan } from '../../src/models/codeActions/trainingPlacement';
import { inspectModel } from '../../src/models/inspectModel';
import { createSession, loadOrt } from '../../src/models/runtime/onnxRun';

// The Python code actions' inserted code, compiled by CPython where it lands, for scripts shaped
// like the common tutorials (PyTorch quickstart, Lightning, scikit-learn, Keras) and examples/train.py;
// and run: train.py and the PyTorch quickstart with the real torch (Debian python3-torch) write
// ONNX, TorchScript and int8 files that hold the TRAINED weights (compared with the state dict the
// script saved), and the scikit-learn script reaches the inserted export with its pipeline fitted
// and saved. Debian has no Lightning, Keras/TensorFlow or skl2onnx: those are compiled, not run.

const PYTHON = '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..');
const WASM = join(ROOT, 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm');
const TUTORIALS = join(ROOT, 'test', 'fixtures', 'tutorials');
const SUPPORT = join(ROOT, 'test', 'support');

/** Compiles the sources (JSON list) with compile(): SyntaxErrors come back with their line. */
function compileAll(sources: string[]): (string | null)[] {
  const script = 'import json, sys\nout = []\nfor s in json.load(sys.stdin):\n    try:\n        compile(s, "<snippet>", "exec"); out.append(None)\n    except SyntaxError as e:\n        out.append(f"{e.msg} at line {e.lineno}")\nprint(json.dumps(out))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(sources), encoding: 'utf8' })) as (string | null)[];
}

/** The text with `snippet` inserted before 0-based line `line`, as the code action's edit does. */
function insertAt(text: string, line: number, snippet: string): string {
  const lines = text.split('\n');
  return [...lines.slice(0, line), ...snippet.replace(/\n$/, '').split('\n'), ...lines.slice(line)].join('\n');
}

const SKLEARN = `import numpy as np
from sklearn.ensemble import RandomForestClassifier

def train(X_train, y_train):
    clf = RandomForestClassifier(n_estimators=100)
    clf.fit(
        X_train,
        y_train,
    )
    return clf
`;

const HF = `from transformers import AutoModelForSequenceClassification

if True:
    classifier = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased")
`;

const NO_TORCH_IMPORT = `from torch import nn

class Net(nn.Module):
    pass

net = Net()
`;

const lineOf = (text: string, needle: string, nth = 0): number => text.split('\n').map((l, i) => (l.includes(needle) ? i : -1)).filter((i) => i >= 0)[nth]!;

describe('Python code actions on models', function () {
  this.timeout(60_000);
  const train = readFileSync(join(ROOT, 'examples', 'train.py'), 'utf8');
  const tutorial = (name: string): string => readFileSync(join(TUTORIALS, name), 'utf8');
  let syntax: PythonSyntax;
  let version = 0;
  before(async () => (syntax = await PythonSyntax.load(WASM)));
  after(() => syntax.dispose());

  function planAt(text: string, needle: string, script = 'train', nth = 0): ModelCodePlan {
    const facts = scriptFacts(text);
    const site = findModelSite(facts, lineOf(text, needle, nth));
    assert.ok(site, needle);
    const plan = planModelCode(syntax.tree('doc', ++version, text)!.rootNode, facts.lines, site, script);
    assert.ok(plan, needle);
    return plan;
  }

  it('finds the model in each framework, by the names in the code', () => {
    const facts = scriptFacts(train);
    const save = findModelSite(facts, lineOf(train, 'torch.save('))!;
    assert.deepEqual([save.framework, save.kind, save.model, save.savePath], ['pytorch', 'saved', 'model', 'models/tiny_classifier.pt']);
    const built = findModelSite(facts, lineOf(train, 'model = TinyClassifier()'))!;
    assert.deepEqual([built.framework, built.kind, built.model], ['pytorch', 'built', 'model']);
    const fit = findModelSite(scriptFacts(SKLEARN), lineOf(SKLEARN, 'clf.fit('))!;
    assert.deepEqual([fit.framework, fit.kind, fit.model, fit.exampleInput, fit.endLine], ['sklearn', 'trained', 'clf', 'X_train', lineOf(SKLEARN, '    )')]);
    assert.deepEqual(findModelSite(scriptFacts(HF), lineOf(HF, 'from_pretrained'))?.kind, 'loaded');
    assert.equal(findModelSite(facts, lineOf(train, 'optimizer = ')), undefined, 'an optimizer is not a model');
    assert.equal(findModelSite(facts, lineOf(train, 'import torch')), undefined);
  });

  it('inserts code that CPython compiles, for every action at every place, in every tutorial script', () => {
    const cases: [string, string, string][] = [
      [train, 'train', 'model = TinyClassifier()'],
      [train, 'train', 'save_file('],
      [train, 'train', 'torch.save('],
      [tutorial('pytorch_quickstart.py'), 'pytorch_quickstart', 'model = NeuralNetwork()'],
      [tutorial('pytorch_quickstart.py'), 'pytorch_quickstart', 'torch.save('],
      [tutorial('lightning_autoencoder.py'), 'lightning_autoencoder', 'autoencoder = LitAutoEncoder('],
      [tutorial('lightning_autoencoder.py'), 'lightning_autoencoder', 'trainer.fit(model=autoencoder'],
      [tutorial('sklearn_pipeline.py'), 'sklearn_pipeline', 'pipe = make_pipeline('],
      [tutorial('sklearn_pipeline.py'), 'sklearn_pipeline', 'joblib.dump('],
      [tutorial('keras_mnist.py'), 'keras_mnist', 'model = keras.Sequential('],
      [tutorial('keras_mnist.py'), 'keras_mnist', 'model.fit('],
      [SKLEARN, 'train', 'clf.fit('],
      [HF, 'hf', 'from_pretrained'],
      [NO_TORCH_IMPORT, 'net', 'net = Net()'],
    ];
    const sources: string[] = [];
    const labels: string[] = [];
    for (const [text, script, needle] of cases) {
      const plan = planAt(text, needle, script);
      for (const action of actionsFor(plan.site)) {
        for (const place of plan.places) {
          sources.push(action === 'serving-app' ? servingApp(plan.site.model, outputPath(plan.stem, action)).content : insertAt(text, place.line, snippetFor(plan, action, place)));
          labels.push(`${script}: ${needle} / ${action} after line ${place.afterLine + 1}`);
        }
      }
    }
    assert.ok(sources.length >= 40, `${sources.length}`);
    const errors = compileAll(sources);
    assert.deepEqual(errors.map((e, i) => (e ? `${labels[i]}: ${e}` : null)).filter(Boolean), []);
    // And a broken insert would be caught: the same snippet at the wrong indentation fails.
    const plan = planAt(train, 'model = TinyClassifier()');
    assert.notEqual(compileAll([insertAt(train, plan.places[0]!.line, snippetFor(plan, 'export-onnx', { ...plan.places[0]!, indent: ' ' }))])[0], null);
  });

  it('generates a serving app for the file the export writes', () => {
    const plan = planAt(train, 'model = TinyClassifier()');
    const app = servingApp(plan.site.model, outputPath(plan.stem, 'serving-app'));
    assert.equal(app.fileName, 'serve_model.py');
    assert.match(app.content, /MODEL_PATH = os\.environ\.get\("MODEL_PATH", "models\/tiny_classifier\.onnx"\)/);
    assert.match(app.content, /@app\.post\("\/predict", dependencies=\[Depends\(require_token\)\]\)/);
    assert.match(app.content, /@app\.get\("\/health"\)/);
  });

  it('names the export beside the saved model (else after the script) and feeds it the user\'s own data, leaving the model\'s mode alone', () => {
    const plan = planAt(train, 'torch.save(');
    const onnx = snippetFor(plan, 'export-onnx', plan.places[0]!);
    assert.match(onnx, /"models\/tiny_classifier\.onnx"/);
    assert.match(onnx, /example_input = x_train\[:1\]\.to\(next\(model\.parameters\(\)\)\.device\)/);
    assert.match(onnx, /dynamic_axes=\{"input": \{0: "batch"\}/);
    assert.doesNotMatch(onnx, /model\.eval\(\)/, 'torch.onnx.export exports in eval mode and restores the mode itself');
    assert.ok(onnx.split('\n').filter(Boolean).every((l) => l.startsWith('        ')), 'indented like the torch.save line');
    const script = 'import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    pass\n\nnet = Net()\nfor x in data:\n    net(x).sum().backward()\n';
    assert.match(snippetFor(planAt(script, 'net = Net()', 'finetune'), 'export-onnx', planAt(script, 'net = Net()', 'finetune').places[0]!), /"finetune_net\.onnx"/);
    const noImport = planAt(NO_TORCH_IMPORT, 'net = Net()');
    assert.match(snippetFor(noImport, 'quantize-dynamic', noImport.places[0]!), /^import torch$/m, 'imports torch when the file does not');
  });
});

describe('Python code actions, run with the real torch and scikit-learn', function () {
  this.timeout(300_000);
  let syntax: PythonSyntax;
  let dir: string;
  before(async () => (syntax = await PythonSyntax.load(WASM)));
  after(() => syntax.dispose());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-code-action-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The script with each action's code inserted where the action puts it (each action on its own, as a user applies them). */
  function withActions(text: string, needle: string, script: string, actions: readonly ModelAction[]): { text: string; plan: ModelCodePlan; place: InsertionPlace } {
    const facts = scriptFacts(text);
    const site = findModelSite(facts, lineOf(text, needle))!;
    const plan = planModelCode(syntax.tree(script, 1, text)!.rootNode, facts.lines, site, script)!;
    assert.equal(plan.sure, true, plan.reason);
    const place = plan.places[0]!;
    return { text: insertAt(text, place.line, actions.map((a) => snippetFor(plan, a, place)).join('')), plan, place };
  }

  /** The exported files against the script's own trained state dict: TorchScript and int8 in Python, ONNX with onnxruntime. */
  async function assertTrainedWeights(script: string, cls: string, stateDict: string, stem: string, shape: number[]): Promise<void> {
    const check = JSON.parse(
      execFileSync(PYTHON, [join(SUPPORT, 'trained_weights_check.py'), script, cls, stateDict, `${stem}.torchscript.pt`, `${stem}.int8.pt`, JSON.stringify(shape)], { cwd: dir, encoding: 'utf8' }),
    ) as { input: number[]; shape: number[]; trained: number[]; torchscript_diff: number; int8_diff: number; fresh_diff: number };
    assert.ok(check.fresh_diff > 1e-2, `an untrained model answers differently (${check.fresh_diff})`);
    assert.ok(check.torchscript_diff < 1e-5, `TorchScript holds the trained weights (largest difference ${check.torchscript_diff})`);
    assert.ok(check.int8_diff < check.fresh_diff / 5, `the int8 model is the trained one, quantized (${check.int8_diff} against ${check.fresh_diff} for an untrained model)`);
    const onnxPath = join(dir, `${stem}.onnx`);
    const info = inspectModel(onnxPath);
    assert.equal(info.inputs?.[0]?.shape[0], 'batch', 'the dynamic batch axis');
    const ort = loadOrt();
    const session = await createSession(ort, onnxPath, info);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(check.input), check.shape) });
      const got = Array.from(out.output!.data as Float32Array);
      const largest = Math.max(...got.map((v, i) => Math.abs(v - check.trained[i]!)));
      assert.ok(largest < 1e-4, `the ONNX file holds the trained weights (largest difference ${largest})`);
    } finally {
      await session.release();
    }
  }

  it('examples/train.py, from `model = TinyClassifier()`: ONNX, TorchScript and int8 after training hold the trained weights', async () => {
    const source = readFileSync(join(ROOT, 'examples', 'train.py'), 'utf8');
    const { text, plan } = withActions(source, 'model = TinyClassifier()', 'train', ['export-onnx', 'export-torchscript', 'quantize-dynamic']);
    assert.equal(plan.stem, 'models/tiny_classifier');
    writeFileSync(join(dir, 'train.py'), text);
    mkdirSync(join(dir, 'models'));
    // Debian's python has no safetensors: train.py takes its torch.save branch (models/tiny_classifier.pt).
    execFileSync(PYTHON, ['train.py', '--epochs', '30'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    for (const file of ['tiny_classifier.pt', 'tiny_classifier.onnx', 'tiny_classifier.torchscript.pt', 'tiny_classifier.int8.pt']) assert.ok(existsSync(join(dir, 'models', file)), file);
    await assertTrainedWeights('train.py', 'TinyClassifier', 'models/tiny_classifier.pt', 'models/tiny_classifier', [5, 8]);
  });

  it('the PyTorch quickstart, from `model = NeuralNetwork().to(device)`: the exports after the epochs hold the weights saved to model.pth', async () => {
    const { text, place } = withActions(readFileSync(join(TUTORIALS, 'pytorch_quickstart.py'), 'utf8'), 'model = NeuralNetwork()', 'pytorch_quickstart', ['export-onnx', 'export-torchscript', 'quantize-dynamic']);
    assert.equal(place.exampleInput, 'next(iter(train_dataloader))[0][:1]');
    writeFileSync(join(dir, 'quickstart.py'), text);
    const out = execFileSync(PYTHON, ['quickstart.py'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /Done!/);
    for (const file of ['model.pth', 'model.onnx', 'model.torchscript.pt', 'model.int8.pt']) assert.ok(existsSync(join(dir, file)), file);
    await assertTrainedWeights('quickstart.py', 'NeuralNetwork', 'model.pth', 'model', [3, 1, 28, 28]);
  });

  it('the scikit-learn script, from `pipe = make_pipeline(…)`: the export runs with the pipeline fitted and saved (it stops at skl2onnx, which Debian lacks)', () => {
    const { text, place } = withActions(readFileSync(join(TUTORIALS, 'sklearn_pipeline.py'), 'utf8'), 'pipe = make_pipeline(', 'sklearn_pipeline', ['export-onnx']);
    assert.equal(place.exampleInput, 'X_train[:1]');
    writeFileSync(join(dir, 'sklearn_pipeline.py'), text);
    const out = execFileSync(PYTHON, [join(SUPPORT, 'fitted_at_insert_check.py'), 'sklearn_pipeline.py', 'pipe', 'iris_pipeline.joblib', 'X_test'], { cwd: dir, encoding: 'utf8' });
    assert.match(out, /^accuracy: /m, 'the script ran up to the export');
    const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.deepEqual(result, { stopped: true, missing: 'skl2onnx', line: lineOf(text, 'from skl2onnx import to_onnx') + 1, fitted: true, same_as_saved: true });
    assert.match(text, /iris_pipeline\.onnx/);
  });
});
