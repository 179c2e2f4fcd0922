import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findModelSite, scriptFacts, type ModelSite } from '../../src/models/codeActions/modelSites';
import { PythonSyntax } from '../../src/models/codeActions/pythonSyntax';
import { planModelCode, type ModelCodePlan } from '../../src/models/codeActions/trainingPlacement';

// Where the Python code actions put their code, on the file parsed by tree-sitter's Python grammar
// (the WebAssembly build VS Code ships): after training or the script's own save, at the
// indentation of that statement; a choice of places when the script does not show where training ends.

const root = resolve(__dirname, '../..');
const WASM = join(root, 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm');
const tutorial = (name: string): string => readFileSync(join(root, 'test', 'fixtures', 'tutorials', name), 'utf8');

describe('where the model code actions insert their code', function () {
  let syntax: PythonSyntax;
  let version = 0;
  before(async () => (syntax = await PythonSyntax.load(WASM)));
  after(() => syntax.dispose());

  /** The plan for the action on the line holding `needle` (its `nth` occurrence). */
  function plan(text: string, needle: string, script = 'train', nth = 0): ModelCodePlan & { site: ModelSite } {
    const facts = scriptFacts(text);
    const line = facts.lines.map((l, i) => (l.includes(needle) ? i : -1)).filter((i) => i >= 0)[nth];
    assert.ok(line !== undefined, `no line with ${needle}`);
    const site = findModelSite(facts, line);
    assert.ok(site, `no model site on ${needle}`);
    const tree = syntax.tree('doc', ++version, text);
    assert.ok(tree);
    const planned = planModelCode(tree.rootNode, facts.lines, site, script);
    assert.ok(planned);
    return planned;
  }

  /** [1-based line the code goes after, indent width, stem, example] of a sure plan. */
  function where(p: ModelCodePlan): [number, number, string, string | undefined] {
    assert.equal(p.sure, true, p.reason);
    assert.equal(p.places.length, 1);
    const place = p.places[0]!;
    return [place.line, place.indent.length, p.stem, place.exampleInput];
  }

  it('examples/train.py: from `model = TinyClassifier()` to after the try that saves it, at main()\'s indentation, named after the save', () => {
    const text = readFileSync(join(root, 'examples', 'train.py'), 'utf8');
    const lines = text.split('\n');
    const p = plan(text, 'model = TinyClassifier()');
    const after = lines.findIndex((l) => l.includes('torch.save(model.state_dict()')) + 1;
    assert.deepEqual(where(p), [after, 4, 'models/tiny_classifier', 'x_train[:1]']);
    assert.equal(lines[after - 1]!.trim().startsWith('torch.save('), true, 'the except branch is the try statement\'s last line');
    assert.equal(p.places[0]!.afterText, 'try:');
    assert.ok(after > lines.findIndex((l) => l.includes('for epoch in range(args.epochs)')), 'after the training loop');
    assert.equal(p.reason, 'after model is saved');
    // On a save line itself: right after it, in its own block (the user chose that line).
    const onSave = plan(text, 'torch.save(model.state_dict()');
    assert.deepEqual(where(onSave), [after, 8, 'models/tiny_classifier', 'x_train[:1]']);
  });

  it('the PyTorch quickstart: after torch.save at module level, with a batch from the DataLoader (X in train() is not bound there)', () => {
    const text = tutorial('pytorch_quickstart.py');
    const save = text.split('\n').findIndex((l) => l.startsWith('torch.save(model.state_dict(), "model.pth")')) + 1;
    assert.deepEqual(where(plan(text, 'model = NeuralNetwork()', 'pytorch_quickstart')), [save, 0, 'model', 'next(iter(train_dataloader))[0][:1]']);
    // The model built again to load the weights: after load_state_dict, named after the file it loads.
    const reload = plan(text, 'model = NeuralNetwork()', 'pytorch_quickstart', 1);
    assert.deepEqual(where(reload), [text.split('\n').findIndex((l) => l.startsWith('model.load_state_dict(')) + 1, 0, 'model', 'next(iter(train_dataloader))[0][:1]']);
    assert.equal(reload.reason, "after model's weights are loaded");
  });

  it('Lightning: after trainer.fit(model=…) and its checkpoint, from the module, the fit or the checkpoint line', () => {
    const text = tutorial('lightning_autoencoder.py');
    const checkpoint = text.split('\n').findIndex((l) => l.startsWith('trainer.save_checkpoint(')) + 1;
    for (const needle of ['autoencoder = LitAutoEncoder(', 'trainer.fit(model=autoencoder', 'trainer.save_checkpoint(']) {
      const p = plan(text, needle, 'lightning_autoencoder');
      assert.equal(p.site.model, 'autoencoder', needle);
      assert.deepEqual(where(p), [checkpoint, 0, 'autoencoder', 'next(iter(train_loader))[0][:1]'], needle);
    }
  });

  it('scikit-learn: after joblib.dump, from the pipeline, the fit or the dump, with the fitted features', () => {
    const text = tutorial('sklearn_pipeline.py');
    const dump = text.split('\n').findIndex((l) => l.startsWith('joblib.dump(')) + 1;
    for (const needle of ['pipe = make_pipeline(', 'pipe.fit(', 'joblib.dump(']) {
      const p = plan(text, needle, 'sklearn_pipeline');
      assert.deepEqual([p.site.framework, p.site.model], ['sklearn', 'pipe'], needle);
      assert.deepEqual(where(p), [dump, 0, 'iris_pipeline', 'X_train[:1]'], needle);
    }
    assert.equal(findModelSite(scriptFacts(text), text.split('\n').findIndex((l) => l.startsWith('X, y = load_iris'))), undefined, 'loading data is not a model');
  });

  it('Keras: after model.save, from the Sequential (a statement over many lines), the fit or the save', () => {
    const text = tutorial('keras_mnist.py');
    const save = text.split('\n').findIndex((l) => l.startsWith('model.save(')) + 1;
    for (const needle of ['model = keras.Sequential(', 'model.fit(', 'model.save(']) {
      const p = plan(text, needle, 'keras_mnist');
      assert.deepEqual([p.site.framework, p.site.model], ['keras', 'model'], needle);
      assert.deepEqual(where(p).slice(0, 3), [save, 0, 'mnist_convnet'], needle);
    }
  });

  it('a checkpoint saved each epoch: after the loop, not inside it', () => {
    const text = `import torch
from torch import nn

class Net(nn.Module):
    pass

def main():
    model = Net()
    for epoch in range(10):
        step(model)
        torch.save(model.state_dict(), f"ckpt_{epoch}.pt")
    print("done")
`;
    const p = plan(text, 'torch.save(');
    assert.deepEqual(where(p).slice(0, 3), [11, 4, 'train_model'], 'after the for loop (its last line is 11), in main(); the f-string names nothing');
  });

  it('a model built at module level and trained under `if __name__ == "__main__":` gets the code inside the guard, after the save', () => {
    const text = `import torch
from torch import nn

class Net(nn.Module):
    pass

model = Net()

if __name__ == "__main__":
    for x in data:
        model(x).sum().backward()
    torch.save(model.state_dict(), "net.pt")
    print("done")
`;
    assert.deepEqual(where(plan(text, 'model = Net()')).slice(0, 3), [12, 4, 'net'], 'after torch.save (line 12), in the guard: after the whole if it would run on import, untrained');
    // With an else branch the training may not run: after the whole statement, as for try/except.
    const branches = text.replace('    print("done")\n', 'else:\n    print("imported")\n');
    assert.deepEqual(where(plan(branches, 'model = Net()')).slice(0, 3), [14, 0, 'net']);
  });

  it('stops where the name is bound to another model, and keeps going through `model = model.to(device)`', () => {
    const text = `import torch
from torch import nn

class Net(nn.Module):
    pass

model = Net()
model = model.to("cpu")
for x in data:
    model(x).sum().backward()
model = Net()
model.load_state_dict(torch.load("other.pt"))
`;
    assert.deepEqual(where(plan(text, 'model = Net()')).slice(0, 3), [10, 0, 'train_model']);
    assert.deepEqual(where(plan(text, 'model = Net()', 'train', 1)).slice(0, 3), [12, 0, 'other']);
  });

  it('a function defined after the model is not its training (defining runs nothing): asks, showing the places', () => {
    const text = `import torch
from torch import nn

class Net(nn.Module):
    pass

def build():
    model = Net()
    model.to("cpu")
    print(model)
    return model

def train(model, loader):
    for x in loader:
        model(x).sum().backward()
`;
    const p = plan(text, 'model = Net()', 'build');
    assert.equal(p.sure, false);
    assert.equal(p.reason, 'model is not trained or saved after line 8 in the same block');
    assert.deepEqual(p.places.map((place) => [place.line, place.indent.length, place.afterText]), [
      [8, 4, 'model = Net()'],
      [9, 4, 'model.to("cpu")'],
      [10, 4, 'print(model)'],
    ]);
    assert.equal(p.stem, 'build_model', 'no save: named after the script');
  });

  it('Hugging Face: after trainer.save_model of a Trainer built with the model', () => {
    const text = `from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments

model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased", num_labels=2)
trainer = Trainer(model=model, args=TrainingArguments("out"), train_dataset=train_ds)
trainer.train()
trainer.save_model("out/final")
print("saved")
`;
    assert.deepEqual(where(plan(text, 'from_pretrained')).slice(0, 3), [6, 0, 'out/final']);
    // Only loaded, never trained here: right after the load (the weights are pretrained).
    const loaded = plan('from transformers import AutoModel\nmodel = AutoModel.from_pretrained("bert-base-uncased")\nprint(model)\n', 'from_pretrained');
    assert.deepEqual(where(loaded).slice(0, 3), [2, 0, 'train_model']);
  });

  it('a file with a syntax error elsewhere (mid-edit) still places the code after training', () => {
    const text = readFileSync(join(root, 'examples', 'train.py'), 'utf8').replace('def next_version(root: Path) -> Path:', 'def next_version(root: Path) -> Path\n    x = (');
    const p = plan(text, 'model = TinyClassifier()');
    assert.ok(p.places[0]!.line > text.split('\n').findIndex((l) => l.includes('for epoch in range')), JSON.stringify(p.places));
  });

  it('keeps a tree per document version and parses again only when the text changes', () => {
    const cache = syntax;
    const first = cache.tree('kept', 1, 'model = Net()\n')!;
    assert.equal(cache.tree('kept', 1, 'ignored: same version')!.rootNode.text, 'model = Net()\n');
    assert.equal(first.rootNode.text, 'model = Net()\n');
    assert.equal(cache.tree('kept', 2, 'x = 1\n')!.rootNode.text, 'x = 1\n');
    for (let i = 0; i < 6; i++) cache.tree(`other${i}`, 1, 'y = 2\n');
    assert.equal(cache.tree('kept', 2, 'x = 3\n')!.rootNode.text, 'x = 3\n', 'evicted after four newer documents: parsed again');
  });
});
