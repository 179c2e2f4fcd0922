import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalModelServer } from '../../src/serving/localServer';
import { folderToolset } from '../../src/toolset/folderToolset';
import { DOUBLER_CLASS, pipelineScript, writeServeApp } from '../support/ownStepPipeline';

// Serve Locally on a scikit-learn pipeline whose last step is the user's own class: a fitted encoder in
// front of a TorchScript MLP (test/fixtures/northStar/torch_step.py, the north star's served model), so
// raw rows go in. The class lives in a module at the workspace root, which the generated app puts on
// sys.path while the pickle loads; Debian's python3-uvicorn, scikit-learn and torch serve it for real.

const PYTHON = '/usr/bin/python3';
const STEP = join(__dirname, '..', 'fixtures', 'northStar', 'torch_step.py');

/** Fits an encoder (scaled numbers, one-hot plan) and a small torch MLP behind it, saved as one pipeline. */
const BUILD = `
import joblib, numpy as np, pandas as pd, torch
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from torch_step import TorchScriptClassifier
rng = np.random.default_rng(0)
X = pd.DataFrame({"tenure": rng.integers(1, 72, 300).astype(float), "plan": rng.choice(["basic", "standard", "premium"], 300)})
y = ((X.tenure < 12) | (X.plan == "basic")).astype(int)
encode = make_column_transformer((StandardScaler(), ["tenure"]), (OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["plan"])).fit(X)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2), torch.nn.Softmax(dim=1))
mlp = torch.jit.trace(net.eval(), torch.zeros(1, 4))
joblib.dump(make_pipeline(encode, TorchScriptClassifier(mlp).fit(X, y)), "models/churn_mlp_pipeline.joblib")
`;

describe('Serve Locally: a pipeline with a step of the workspace\'s own (an encoder, then a TorchScript MLP)', function () {
  this.timeout(120_000);
  let ws: string;
  let server: LocalModelServer | undefined;
  const rows = [{ tenure: 3, plan: 'basic' }, { tenure: 60, plan: 'premium' }, { tenure: 30, plan: 'standard', customer_id: 'C1' }];

  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-serve-step-'));
    mkdirSync(join(ws, 'models'));
    copyFileSync(STEP, join(ws, 'torch_step.py'));
    execFileSync(PYTHON, ['-c', BUILD], { cwd: ws });
  });
  after(async () => {
    await server?.stop();
    rmSync(ws, { recursive: true, force: true });
  });

  it('answers raw rows with the MLP\'s predictions through the encoder, and refuses a missing column or a wrong type with a 422', async () => {
    // The rows through the encoder and the TorchScript module by hand, outside the app (before it starts: a
    // synchronous child would stall this process past uvicorn's keep-alive).
    const byHand = execFileSync(PYTHON, ['-c', [
      'import json, sys, joblib, pandas as pd, torch',
      'pipe = joblib.load("models/churn_mlp_pipeline.joblib")',
      'features = torch.tensor(pipe[0].transform(pd.DataFrame(json.loads(sys.argv[1]))), dtype=torch.float32)',
      'print(json.dumps(pipe[-1].module(features).argmax(1).tolist()))',
    ].join('\n'), JSON.stringify(rows)], { cwd: ws, encoding: 'utf8' });
    const appDir = writeServeApp(ws, join(ws, 'models', 'churn_mlp_pipeline.joblib'));
    server = await LocalModelServer.start({ python: PYTHON, appDir, module: 'app', env: { MODEL_REQUEST_LOG: 'off' } });
    const meta = JSON.parse((await server.call('/metadata')).body) as { features: string[]; classes: string[] };
    assert.deepEqual(meta, { model: 'churn_mlp_pipeline.joblib', features: ['tenure', 'plan'], classes: ['0', '1'] });

    const answer = await server.call('/predict', JSON.stringify({ instances: rows }));
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual((JSON.parse(answer.body) as { predictions: number[] }).predictions, JSON.parse(byHand));

    const missing = await server.call('/predict', JSON.stringify({ instances: [{ tenure: 3 }] }));
    assert.equal(missing.status, 422);
    assert.match(missing.body, /instance 0: missing features \['plan'\]; the model takes \['tenure', 'plan'\]/);
    const wrongType = await server.call('/predict', JSON.stringify({ instances: [{ tenure: 'three', plan: 'basic' }] }));
    assert.equal(wrongType.status, 422);
    assert.match(wrongType.body, /values the model cannot use: check each feature's type/);
  });

  it('serve_locally\'s approval covers the workspace module the pickle imports, so changing it asks again', async () => {
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    try {
      const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
      const scope = () => tool.approvalScope!({ path: 'models/churn_mlp_pipeline.joblib' }, toolset.context);
      const before = await scope();
      assert.match(before, /churn_mlp_pipeline\.joblib:\d+:\d+:\d+:.*\n.*torch_step\.py#[0-9a-f]{64}$/);
      const step = join(ws, 'torch_step.py');
      const text = readFileSync(step, 'utf8');
      writeFileSync(step, text + '# changed\n');
      try {
        assert.notEqual(await scope(), before);
      } finally {
        writeFileSync(step, text);
      }
      assert.equal(await scope(), before);
    } finally {
      await toolset.dispose();
    }
  });

  it('says how to fix a step whose class was defined in a notebook (__main__), which no other program can import', async () => {
    mkdirSync(join(ws, 'nb'));
    execFileSync(PYTHON, ['-c', pipelineScript(DOUBLER_CLASS, 'Doubler', 'nb/notebook_step.joblib')], { cwd: ws });
    const appDir = writeServeApp(ws, join(ws, 'nb', 'notebook_step.joblib'));
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir, module: 'app' }), (e: Error) => /stopped before it answered: RuntimeError: cannot load .*notebook_step\.joblib: Can't get attribute 'Doubler' on <module '__main__'.*Define the pickled classes in a module under MODEL_CODE_DIR/.test(e.message));
  });

  it('calls a class missing from the installed scikit-learn a version mismatch, naming both versions, not a notebook class', async () => {
    // A step registered as a class of a real sklearn module, pickled under a scikit-learn that calls itself 9.9.9, then removed.
    mkdirSync(join(ws, 'newer'));
    const setup = [
      'import sklearn.base, sklearn.preprocessing._data as data',
      'from sklearn.base import BaseEstimator, TransformerMixin',
      'class _NoSuchScaler(TransformerMixin, BaseEstimator):',
      '    def fit(self, X, y=None): return self',
      '    def transform(self, X): return X',
      '_NoSuchScaler.__module__ = data.__name__',
      'data._NoSuchScaler = _NoSuchScaler',
      'sklearn.base.__version__ = "9.9.9"',
    ];
    execFileSync(PYTHON, ['-c', pipelineScript(setup, '_NoSuchScaler', 'newer/newer_sklearn.joblib')], { cwd: ws });
    const installed = execFileSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' }).trim();
    const appDir = writeServeApp(ws, join(ws, 'newer', 'newer_sklearn.joblib'));
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir, module: 'app' }), (e: Error) => {
      assert.match(e.message, /RuntimeError: cannot load .*newer_sklearn\.joblib: Can't get attribute '_NoSuchScaler' on <module 'sklearn\.preprocessing\._data'/);
      assert.ok(e.message.includes(`this scikit-learn (${installed}) lacks: it was saved with scikit-learn 9.9.9; install that version (pip install scikit-learn==9.9.9)`), e.message);
      assert.doesNotMatch(e.message, /MODEL_CODE_DIR/);
      return true;
    });
  });

  it('names a workspace module outside the workspace root as not found, with no pip line for it', async () => {
    mkdirSync(join(ws, 'src'));
    writeFileSync(join(ws, 'src', 'mle_own_step.py'), DOUBLER_CLASS.join('\n') + '\n');
    execFileSync(PYTHON, ['-c', pipelineScript(['from mle_own_step import Doubler'], 'Doubler', '../models/own_step.joblib')], { cwd: join(ws, 'src') });
    const appDir = writeServeApp(ws, join(ws, 'models', 'own_step.joblib'));
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir, module: 'app' }), (e: Error) => {
      assert.match(e.message, /The app needs the Python module "mle_own_step", which is neither under the workspace root \(.+\) nor installed in \/usr\/bin\/python3\. If it is your own module, put mle_own_step\.py at the workspace root/);
      assert.doesNotMatch(e.message, /pip install/);
      return true;
    });
  });
});
