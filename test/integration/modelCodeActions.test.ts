import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findModelSite } from '../../src/models/codeActions/modelSites';
import { actionsFor, servingApp, snippetFor } from '../../src/models/codeActions/modelSnippets';
import { inspectModel } from '../../src/models/inspectModel';
import { createSession, loadOrt, sampleFeeds } from '../../src/models/runtime/onnxRun';

// The Python code actions' inserted code, compiled by CPython in place (inside the user's block,
// at its indentation), for PyTorch, transformers, scikit-learn and Keras scripts; and the PyTorch
// snippets run in examples/train.py with the real torch (Debian python3-torch).

const PYTHON = '/usr/bin/python3';

/** Compiles the sources (JSON list) with compile(): SyntaxErrors come back with their line. */
function compileAll(sources: string[]): (string | null)[] {
  const script = 'import json, sys\nout = []\nfor s in json.load(sys.stdin):\n    try:\n        compile(s, "<snippet>", "exec"); out.append(None)\n    except SyntaxError as e:\n        out.append(f"{e.msg} at line {e.lineno}")\nprint(json.dumps(out))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(sources), encoding: 'utf8' })) as (string | null)[];
}

function insertAt(text: string, afterLine: number, snippet: string): string {
  const lines = text.split('\n');
  return [...lines.slice(0, afterLine + 1), ...snippet.replace(/\n$/, '').split('\n'), ...lines.slice(afterLine + 1)].join('\n');
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

const KERAS = `import tensorflow as tf
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(10)])
model.compile(optimizer="adam", loss="mse")
history = model.fit(x_train, y_train, epochs=3)
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

describe('Python code actions on models', function () {
  this.timeout(60_000);
  const train = readFileSync(join(__dirname, '..', '..', 'examples', 'train.py'), 'utf8');
  const line = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle));

  it('finds the model in each framework, by the names in the code', () => {
    const save = findModelSite(train, line(train, 'torch.save('))!;
    assert.deepEqual([save.framework, save.model, save.savePath, save.exampleInput], ['pytorch', 'model', 'models/tiny_classifier.pt', 'x_train']);
    const built = findModelSite(train, line(train, 'model = TinyClassifier()'))!;
    assert.deepEqual([built.framework, built.model], ['pytorch', 'model']);
    const fit = findModelSite(SKLEARN, line(SKLEARN, 'clf.fit('))!;
    assert.deepEqual([fit.framework, fit.model, fit.exampleInput, fit.endLine], ['sklearn', 'clf', 'X_train', line(SKLEARN, '    )')]);
    const keras = findModelSite(KERAS, line(KERAS, 'model.fit('))!;
    assert.deepEqual([keras.framework, keras.model, keras.exampleInput], ['keras', 'model', 'x_train']);
    assert.deepEqual(findModelSite(HF, line(HF, 'from_pretrained'))?.framework, 'transformers');
    assert.equal(findModelSite(train, line(train, 'optimizer = ')), undefined, 'an optimizer is not a model');
    assert.equal(findModelSite(train, line(train, 'import torch')), undefined);
  });

  it('inserts code that CPython compiles, for every action at every site', () => {
    const cases: [string, string][] = [
      [train, 'torch.save('],
      [train, 'model = TinyClassifier()'],
      [SKLEARN, 'clf.fit('],
      [KERAS, 'model.fit('],
      [HF, 'from_pretrained'],
      [NO_TORCH_IMPORT, 'net = Net()'],
    ];
    const sources: string[] = [];
    const labels: string[] = [];
    for (const [text, needle] of cases) {
      const site = findModelSite(text, line(text, needle));
      assert.ok(site, needle);
      for (const action of actionsFor(site)) {
        sources.push(action === 'serving-app' ? servingApp(site).content : insertAt(text, site.endLine, snippetFor(site, action)));
        labels.push(`${needle} / ${action}`);
      }
    }
    assert.ok(sources.length >= 19);
    const errors = compileAll(sources);
    assert.deepEqual(errors.map((e, i) => (e ? `${labels[i]}: ${e}` : null)).filter(Boolean), []);
    // And a broken insert would be caught: the same snippet at the wrong indentation fails.
    const site = findModelSite(train, line(train, 'torch.save('))!;
    assert.notEqual(compileAll([insertAt(train, site.endLine, snippetFor({ ...site, indent: ' ' }, 'export-onnx'))])[0], null);
  });

  it('generates a serving app for the file the export writes', () => {
    const site = findModelSite(train, line(train, 'torch.save('))!;
    const app = servingApp(site);
    assert.equal(app.fileName, 'serve_model.py');
    assert.match(app.content, /MODEL_PATH = os\.environ\.get\("MODEL_PATH", "models\/tiny_classifier\.onnx"\)/);
    assert.match(app.content, /@app\.post\("\/predict", dependencies=\[Depends\(require_token\)\]\)/);
    assert.match(app.content, /@app\.get\("\/health"\)/);
  });

  it('names the export beside the saved model and feeds it the user\'s own data', () => {
    const site = findModelSite(train, line(train, 'torch.save('))!;
    const onnx = snippetFor(site, 'export-onnx');
    assert.match(onnx, /"models\/tiny_classifier\.onnx"/);
    assert.match(onnx, /\(x_train\[:1\],\)/);
    assert.match(onnx, /dynamic_axes=\{"input": \{0: "batch"\}/);
    assert.ok(onnx.split('\n').filter(Boolean).every((l) => l.startsWith('        ')), 'indented like the torch.save line');
    assert.match(snippetFor(findModelSite(NO_TORCH_IMPORT, line(NO_TORCH_IMPORT, 'net = Net()'))!, 'quantize-dynamic'), /^import torch$/m, 'imports torch when the file does not');
  });
});

describe('Python code actions, run with the real torch', function () {
  this.timeout(180_000);

  it('train.py with the inserted ONNX export, TorchScript export and int8 quantization runs and writes models our reader and onnxruntime accept', async () => {
    const train = readFileSync(join(__dirname, '..', '..', 'examples', 'train.py'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'mle-export-'));
    try {
      const lines = train.split('\n');
      const saveLine = lines.findIndex((l) => l.includes('torch.save('));
      const site = findModelSite(train, saveLine)!;
      const snippets = (['export-onnx', 'export-torchscript', 'quantize-dynamic'] as const).map((a) => snippetFor(site, a)).join('');
      // Debian's python has no safetensors: train.py takes the torch.save branch, where the actions insert their code.
      writeFileSync(join(dir, 'train.py'), insertAt(train, site.endLine, snippets));
      mkdirSync(join(dir, 'models'));
      execFileSync(PYTHON, ['train.py', '--epochs', '2'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      for (const file of ['tiny_classifier.pt', 'tiny_classifier.onnx', 'tiny_classifier.torchscript.pt', 'tiny_classifier.int8.pt']) assert.ok(existsSync(join(dir, 'models', file)), file);
      const onnx = inspectModel(join(dir, 'models', 'tiny_classifier.onnx'));
      assert.deepEqual(onnx.inputs, [{ name: 'input', dtype: 'float32', shape: ['batch', 8] }], 'the dynamic batch axis and x_train[:1]\'s 8 features');
      assert.deepEqual(onnx.outputs?.map((o) => o.shape), [['batch', 3]]);
      const ort = loadOrt();
      const session = await createSession(ort, join(dir, 'models', 'tiny_classifier.onnx'), onnx);
      const out = await session.run(sampleFeeds(ort, onnx.inputs, { batch: 5 }));
      assert.deepEqual(out.output!.dims, [5, 3], 'a batch of 5 through the exported batch axis');
      await session.release();
      assert.match(inspectModel(join(dir, 'models', 'tiny_classifier.torchscript.pt')).facts.map((f) => f.value).join(' '), /TorchScript/);
      assert.ok(Object.keys(inspectModel(join(dir, 'models', 'tiny_classifier.int8.pt')).bytesByDtype).includes('qint8'), 'the int8 state dict holds qint8 weights');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
