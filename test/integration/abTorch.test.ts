import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareOnData, loadRunsCode, notComparable } from '../../src/models/compare/abPredict';
import { inspectModel } from '../../src/models/inspectModel';

// A/B of two PyTorch models through the user's Python: TorchScript archives trained in the test
// (torch.jit.script and torch.jit.trace) on rows of their own, compared on held-out rows; the
// metrics checked against scikit-learn's on torch's own outputs. A state dict and a pickled
// module cannot run without their class: each gets a message saying what to save instead.

const PYTHON = '/usr/bin/python3';

interface Expected {
  linear: { accuracy: number; f1: number; auc: number };
  mlp: { accuracy: number; f1: number; auc: number };
  agreement: number;
  lin_reg: { mae: number; rmse: number; r2: number };
  mlp_reg: { mae: number; rmse: number; r2: number };
}

describe('Compare Models on labelled data: PyTorch (TorchScript)', function () {
  this.timeout(180_000);
  let dir: string;
  let expected: Expected;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-ab-torch-'));
    expected = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'support', 'ab_torch_models.py'), 'torch', dir], { encoding: 'utf8' })) as Expected;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const model = (name: string) => ({ path: join(dir, name), info: inspectModel(join(dir, name)) });
  const python = () => Promise.resolve(PYTHON);
  const close = (ours: number, theirs: number, what: string) => assert.ok(Math.abs(ours - theirs) < 1e-9, `${what}: ${ours} vs ${theirs}`);

  it('two TorchScript classifiers: accuracy, macro F1, agreement and ROC AUC as scikit-learn computes them; latency in turns', async () => {
    assert.equal(loadRunsCode(model('linear.pt')), 'torchscript');
    const run = await compareOnData(python, model('linear.pt'), model('mlp.pt'), join(dir, 'clf.csv'), 'target', { cwd: dir, resamples: 500, latencyCalls: 50 });
    const r = run.result;
    assert.equal(r.task, 'classification');
    if (r.task !== 'classification') return;
    assert.equal(r.rows, 400);
    close(r.a.accuracy, expected.linear.accuracy, 'accuracy A');
    close(r.b.accuracy, expected.mlp.accuracy, 'accuracy B');
    close(r.a.f1Macro, expected.linear.f1, 'F1 A');
    close(r.b.f1Macro, expected.mlp.f1, 'F1 B');
    close(r.agreement, expected.agreement, 'agreement');
    if (typeof r.auc === 'string') return assert.fail(r.auc);
    assert.equal(r.auc.positive, '1');
    // Softmax in float64 of torch's float32 logits on both sides (in float32 it saturates to ties near 1).
    assert.ok(Math.abs(r.auc.a - expected.linear.auc) < 1e-9 && Math.abs(r.auc.b - expected.mlp.auc) < 1e-9, `${r.auc.a} ${r.auc.b} vs ${expected.linear.auc} ${expected.mlp.auc}`);
    assert.equal(r.latency?.inTurns, true);
    assert.ok((r.latency?.a.calls ?? 0) >= 5 && r.latency?.a.calls === r.latency?.b.calls, JSON.stringify(r.latency));
    // Two classes with scores: the verdict is on ROC AUC by default (abStatsVerdict.ts pickMetric), with its interval.
    assert.match(r.verdict, /^(linear|mlp)\.pt is better than (linear|mlp)\.pt on ROC AUC by \d\.\d{4} \(\d\.\d{4} vs \d\.\d{4}\), 95% CI of the gain \[-?\d\.\d{4}, -?\d\.\d{4}\]/);
    assert.match(run.markdown, /linear\.pt's scores: softmax of its two output columns, read as classes 0 and 1\./);
  });

  it('two TorchScript regressors: MAE, RMSE and R² as scikit-learn computes them', async () => {
    const run = await compareOnData(python, model('lin_reg.pt'), model('mlp_reg.pt'), join(dir, 'reg.csv'), 'target', { cwd: dir, resamples: 500, latencyCalls: 0 });
    const r = run.result;
    assert.equal(r.task, 'regression');
    if (r.task !== 'regression') return;
    // torch predicts in float32; the metrics are float64 over the same float32 values on both sides.
    for (const [ours, theirs, what] of [[r.a.mae, expected.lin_reg.mae, 'MAE A'], [r.b.mae, expected.mlp_reg.mae, 'MAE B'], [r.a.rmse, expected.lin_reg.rmse, 'RMSE A'], [r.b.rmse, expected.mlp_reg.rmse, 'RMSE B'], [r.a.r2, expected.lin_reg.r2, 'R² A'], [r.b.r2, expected.mlp_reg.r2, 'R² B']] as const) close(ours, theirs, what);
    assert.match(r.verdict, /^mlp_reg\.pt is better than lin_reg\.pt on MAE/);
  });

  it('a state dict and a pickled module are refused with what to save instead; nothing runs', async () => {
    assert.match(notComparable(model('weights.pt')) ?? '', /^weights\.pt holds weights \(a state dict or checkpoint\), not a runnable model: they need the model's Python class\. Save the model as TorchScript/);
    assert.match(notComparable(model('module.pt')) ?? '', /^module\.pt is a pickled nn\.Module \(torch\.save\(model\)\): loading it needs its class's code/);
    const never = () => Promise.reject(new Error('Python must not start'));
    await assert.rejects(compareOnData(never, model('linear.pt'), model('weights.pt'), join(dir, 'clf.csv'), 'target', { cwd: dir }), /weights\.pt holds weights/);
  });

  it('a TorchScript classifier on a target of text labels says to encode them; one fed the wrong width says so', async () => {
    execFileSync(PYTHON, ['-c', 'import sys, pandas as pd; d = pd.read_csv(sys.argv[1]); d["target"] = d["target"].map({0: "no", 1: "yes"}); d.to_csv(sys.argv[2], index=False); d.drop(columns=["f7"]).to_csv(sys.argv[3], index=False)', join(dir, 'clf.csv'), join(dir, 'text.csv'), join(dir, 'narrow.csv')]);
    await assert.rejects(compareOnData(python, model('linear.pt'), model('mlp.pt'), join(dir, 'text.csv'), 'target', { cwd: dir, latencyCalls: 0 }), /linear\.pt gives 2 class scores, read as class indices 0 to 1, but target holds other labels \((no, yes|yes, no)\): encode target as the indices the model was trained on/);
    await assert.rejects(compareOnData(python, model('linear.pt'), model('mlp.pt'), join(dir, 'narrow.csv'), 'target', { cwd: dir, latencyCalls: 0 }), /linear\.pt could not predict the dataset's 7 numeric feature columns: /);
  });
});
