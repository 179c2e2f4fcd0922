import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findModelSite } from '../../src/models/codeActions/modelSites';
import { actionsFor, snippetFor } from '../../src/models/codeActions/modelSnippets';

// The Python code actions' inserted code, compiled by CPython in place (inside the user's block,
// at its indentation), for PyTorch, transformers, scikit-learn and Keras scripts.

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
        sources.push(insertAt(text, site.endLine, snippetFor(site, action)));
        labels.push(`${needle} / ${action}`);
      }
    }
    assert.ok(sources.length >= 13);
    const errors = compileAll(sources);
    assert.deepEqual(errors.map((e, i) => (e ? `${labels[i]}: ${e}` : null)).filter(Boolean), []);
    // And a broken insert would be caught: the same snippet at the wrong indentation fails.
    const site = findModelSite(train, line(train, 'torch.save('))!;
    assert.notEqual(compileAll([insertAt(train, site.endLine, snippetFor({ ...site, indent: ' ' }, 'export-onnx'))])[0], null);
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
