import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findModelSite, scriptFacts } from '../../src/models/codeActions/modelSites';
import { MODEL_SITE_WORDS, mayHoldModelSite } from '../../src/models/codeActions/modelSiteHint';

// The activation layer skips loading the models feature for a code action in a document that
// mayHoldModelSite says no to. That is only right while every site findModelSite finds needs one
// of the hint's words: held here on real scripts and notebooks (tutorials, the sample workspace,
// the corpus notebooks), and on one statement of each site kind.

const root = resolve(__dirname, '../..');
const WORDS = new RegExp(MODEL_SITE_WORDS.source, 'g');

function notebookCode(path: string): string[] {
  const notebook = JSON.parse(readFileSync(path, 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
  return notebook.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source));
}

function texts(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const tutorials = join(root, 'test', 'fixtures', 'tutorials');
  for (const f of readdirSync(tutorials)) out.push({ name: f, text: readFileSync(join(tutorials, f), 'utf8') });
  for (const f of ['examples/train.py', 'examples/models/make_churn_pipeline.py', 'examples/models/make_tiny_classifier.py']) out.push({ name: f, text: readFileSync(join(root, f), 'utf8') });
  const notebooks = join(root, '..', 'shared', 'corpora', 'notebooks');
  for (const f of readdirSync(notebooks).filter((n) => n.endsWith('.ipynb'))) {
    // Each cell is its own document for code actions, and the whole notebook as one script.
    const cells = notebookCode(join(notebooks, f));
    cells.forEach((text, i) => out.push({ name: `${f} cell ${i}`, text }));
    out.push({ name: f, text: cells.join('\n') });
  }
  // One statement per site kind, each with the least context it needs.
  out.push(
    { name: 'torch.save', text: 'import torch\ntorch.save(model.state_dict(), "m.pt")' },
    { name: 'module class', text: 'from torch import nn\nclass Net(nn.Module):\n    pass\nnet = Net()' },
    { name: 'lightning fit', text: 'import lightning as L\ntrainer = L.Trainer()\ntrainer.fit(model)\ntrainer.save_checkpoint("c.ckpt")' },
    { name: 'from_pretrained', text: 'model = AutoModel.from_pretrained("bert-base-uncased")' },
    { name: 'keras', text: 'from tensorflow import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)\nmodel.save("m.keras")' },
    { name: 'sklearn', text: 'from sklearn.linear_model import LogisticRegression\nclf = LogisticRegression()\nclf.fit(X, y)\njoblib.dump(clf, "m.joblib")' },
    { name: 'xgboost', text: 'from xgboost import XGBClassifier\nm = XGBClassifier()\nm.fit(X, y)' },
  );
  return out;
}

function sites(text: string): number {
  const facts = scriptFacts(text);
  return facts.lines.filter((_, line) => findModelSite(facts, line) !== undefined).length;
}

describe('whether a Python document may hold a model site (before the models feature loads)', () => {
  const all = texts();

  it('says yes for every document in which a model site is found', () => {
    const found = all.filter((t) => sites(t.text) > 0);
    assert.ok(found.length >= 12, `only ${found.length} documents with a site: the samples no longer test the hint`);
    for (const t of found) assert.equal(mayHoldModelSite(t.text), true, t.name);
  });

  it('finds no site in any of those documents once the hint\'s words are gone', () => {
    for (const t of all) assert.equal(sites(t.text.replace(WORDS, 'plain')), 0, t.name);
  });

  it('says no for a script with no ML library in it (the sample notebook, a plain script)', () => {
    const baseline = notebookCode(join(root, 'examples', 'notebooks', 'baseline.ipynb'));
    for (const cell of baseline) assert.equal(mayHoldModelSite(cell), false, cell.slice(0, 40));
    assert.equal(mayHoldModelSite('import csv\nrows = list(csv.reader(open("a.csv")))\nmodel = build(rows)\nmodel.save("x")'), false);
  });
});
