import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { compareOnData } from '../../src/models/compare/abPredict';
import type { ClassificationAB } from '../../src/models/compare/abStats';
import { compareClassifiers, mcnemarExact } from '../../src/models/compare/abStatsClassifiers';
import { compareRegressors } from '../../src/models/compare/abStatsRegressors';
import { inspectModel } from '../../src/models/inspectModel';

// A/B on labelled data with two real scikit-learn models trained in the test (and an ONNX copy of
// one of them, run in onnxruntime-web in the models worker): the metrics checked against scikit-learn's, McNemar's exact
// p against scipy.stats.binomtest, the paired bootstrap interval against scipy.stats.bootstrap
// (percentile method; the two draw different resamples, so within a small tolerance).

const PYTHON = '/usr/bin/python3';

interface Expected {
  clf: { accuracy: [number, number]; f1: [number, number]; only: [number, number]; mcnemar_p: number; ci: [number, number]; auc: [number, number]; ap: [number, number] };
  reg: { mae: [number, number]; rmse: [number, number]; r2: [number, number]; ci: [number, number] };
  mc: { auc: [number, number]; classes: string[] };
}

describe('Compare Models on labelled data (A/B)', function () {
  this.timeout(120_000);
  let dir: string;
  let expected: Expected;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-ab-'));
    expected = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'support', 'ab_models.py'), dir], { encoding: 'utf8' })) as Expected;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const model = (name: string) => ({ path: join(dir, name), info: inspectModel(join(dir, name)) });
  const python = () => Promise.resolve(PYTHON);

  it('two classifiers: accuracy and macro F1 as scikit-learn computes them, McNemar as scipy, the interval as scipy\'s bootstrap', async () => {
    const run = await compareOnData(python, model('lr.pkl'), model('tree.pkl'), join(dir, 'clf.csv'), 'label', { cwd: dir, resamples: 4000 });
    const r = run.result;
    assert.equal(r.task, 'classification');
    if (r.task !== 'classification') return;
    assert.equal(r.rows, 300);
    assert.ok(Math.abs(r.a.accuracy - expected.clf.accuracy[0]) < 1e-12 && Math.abs(r.b.accuracy - expected.clf.accuracy[1]) < 1e-12);
    assert.ok(Math.abs(r.a.f1Macro - expected.clf.f1[0]) < 1e-12 && Math.abs(r.b.f1Macro - expected.clf.f1[1]) < 1e-12, `${r.a.f1Macro} ${r.b.f1Macro}`);
    assert.deepEqual([r.onlyA, r.onlyB], expected.clf.only);
    assert.ok(Math.abs(r.mcnemarP - expected.clf.mcnemar_p) < 1e-12, `${r.mcnemarP} vs scipy ${expected.clf.mcnemar_p}`);
    assert.ok(Math.abs(r.accuracyDiff.low - expected.clf.ci[0]) < 0.01 && Math.abs(r.accuracyDiff.high - expected.clf.ci[1]) < 0.01, `${JSON.stringify(r.accuracyDiff)} vs scipy ${JSON.stringify(expected.clf.ci)}`);
    // Both give probabilities, the positive class is not rare: the verdict is on ROC AUC (no McNemar), with B − A's interval turned into the gain's.
    assert.equal(r.metric, 'roc_auc');
    assert.match(r.verdict, /^lr\.pkl is better than tree\.pkl on ROC AUC by 0\.0925 \(0\.8757 vs 0\.7832\), 95% CI of the gain \[0\.\d{4}, 0\.\d{4}\]: the interval excludes 0\.$/);
    assert.match(run.markdown, /^The verdict is on ROC AUC, the default for two classes with scores \(1 is \d+\.\d% of the rows\); the other metrics are in the table\.$/m);
    assert.match(run.markdown, /\| accuracy \| 79\.33% \| 75\.00% \|/);
    // ROC AUC from predict_proba as scikit-learn's roc_auc_score (the tree's tied scores count half).
    assert.ok(typeof r.auc !== 'string', JSON.stringify(r.auc));
    if (typeof r.auc === 'string') return;
    assert.equal(r.auc.positive, '1');
    assert.ok(Math.abs(r.auc.a - expected.clf.auc[0]) < 1e-12 && Math.abs(r.auc.b - expected.clf.auc[1]) < 1e-12, `${r.auc.a} ${r.auc.b} vs ${expected.clf.auc.join(' ')}`);
    for (const [interval, point] of [[r.auc.aInterval, r.auc.a], [r.auc.bInterval, r.auc.b], [r.auc.diff, r.auc.b - r.auc.a]] as const) assert.ok(interval.low < point && point < interval.high, `${JSON.stringify(interval)} around ${point}`);
    assert.match(run.markdown, /\| ROC AUC \(1\) \| 0\.\d{4} \[0\.\d{4}, 0\.\d{4}\] \| 0\.\d{4} \[0\.\d{4}, 0\.\d{4}\] \| \[-0\.\d{4}, -?0\.\d{4}\] \|/);
    // Average precision as scikit-learn's average_precision_score (the tree's tied scores one threshold each).
    const ap = r.auc.averagePrecision;
    assert.ok(ap && Math.abs(ap.a - expected.clf.ap[0]) < 1e-12 && Math.abs(ap.b - expected.clf.ap[1]) < 1e-12, `${JSON.stringify(ap)} vs ${expected.clf.ap.join(' ')}`);
    assert.ok(ap.diff.low < ap.b - ap.a && ap.b - ap.a < ap.diff.high, JSON.stringify(ap));
    assert.match(run.markdown, /\| average precision \(1\) \| 0\.8696 \[0\.\d{4}, 0\.\d{4}\] \| 0\.7098 \[0\.\d{4}, 0\.\d{4}\] \| \[-0\.\d{4}, -?0\.\d{4}\] \|/);
    // Each arm's one-row predict() latency, timed in turns in the Python job.
    const l = r.latency;
    assert.ok(l, 'both arms timed');
    if (!l) return;
    assert.equal(l.inTurns, true);
    assert.ok(l.a.calls >= 5 && l.a.calls === l.b.calls && l.a.p50Ms > 0 && l.a.p95Ms >= l.a.p50Ms && l.b.p95Ms >= l.b.p50Ms, JSON.stringify(l));
    assert.ok(l.p50Diff.low <= l.b.p50Ms - l.a.p50Ms && l.b.p50Ms - l.a.p50Ms <= l.p50Diff.high, JSON.stringify(l));
    assert.match(l.sentence, /^Latency: (no measurable difference \(.*includes 0; |(lr|tree)\.pkl is faster per one-row call \(.*; )\d+ one-row calls each, in turns\)\.$/);
    assert.match(run.markdown, /\| latency p50, ms \(one-row call\) \| [\d.]+ \| [\d.]+ \| \[-?[\d.]+, -?[\d.]+\] ms \|/);
    assert.ok(run.markdown.includes(l.sentence));
  });

  it('an ONNX model (run in onnxruntime-web) against a pickle, on the same rows', async () => {
    const run = await compareOnData(python, model('lr.onnx'), model('lr.pkl'), join(dir, 'clf.csv'), 'label', { cwd: dir, resamples: 200 });
    assert.equal(run.result.task, 'classification');
    if (run.result.task !== 'classification') return;
    assert.ok(run.result.agreement >= 0.99, `the ONNX copy predicts what the model predicts (${run.result.agreement})`);
    assert.ok(Math.abs(run.result.b.accuracy - expected.clf.accuracy[0]) < 1e-12);
    // The ONNX model gives labels only here: the report says why there is no AUC.
    assert.equal(run.result.auc, 'ROC AUC needs scores: lr.onnx gave labels only (no predict_proba)');
    assert.match(run.markdown, /ROC AUC needs scores: lr\.onnx gave labels only/);
    // onnxruntime-web and scikit-learn time their arms apart: the report says it was not in turns.
    assert.equal(run.result.latency?.inTurns, false);
    assert.match(run.result.latency?.sentence ?? '', /in different runtimes one after the other \(not in turns: a load change would favour one\)\)\.$/);
  });

  it('ROC AUC for ONNX arms: sklearn-onnx\'s ZipMap seq(map) and `probabilities` tensor, a torch export\'s logits (softmax), as scikit-learn computes it', async () => {
    const aucs = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'support', 'ab_onnx_models.py'), dir], { encoding: 'utf8' })) as { lr: number; net: number };
    const zip = await compareOnData(python, model('lr_zipmap.onnx'), model('lr.pkl'), join(dir, 'clf.csv'), 'label', { cwd: dir, resamples: 200, latencyCalls: 0 });
    assert.equal(zip.result.task, 'classification');
    if (zip.result.task !== 'classification' || typeof zip.result.auc === 'string') return assert.fail(JSON.stringify(zip.result));
    assert.equal(zip.result.auc.positive, '1');
    // float32 in onnxruntime against float64 in scikit-learn: the same ranking but for near-ties.
    assert.ok(Math.abs(zip.result.auc.a - aucs.lr) < 1e-3 && Math.abs(zip.result.auc.b - aucs.lr) < 1e-12, `${zip.result.auc.a} ${zip.result.auc.b} vs ${aucs.lr}`);
    assert.equal(zip.result.agreement, 1);
    assert.match(zip.markdown, /lr_zipmap\.onnx's scores: the probabilities ZipMap turns into output_probability, read as the tensor probabilities\./);
    const net = await compareOnData(python, model('lr_probs.onnx'), model('net.onnx'), join(dir, 'clf.csv'), 'label', { cwd: dir, resamples: 200, latencyCalls: 0 });
    if (net.result.task !== 'classification' || typeof net.result.auc === 'string') return assert.fail(JSON.stringify(net.result));
    assert.ok(Math.abs(net.result.auc.a - aucs.lr) < 1e-3 && Math.abs(net.result.auc.b - aucs.net) < 1e-3, `${net.result.auc.a} ${net.result.auc.b} vs ${JSON.stringify(aucs)}`);
    assert.match(net.markdown, /lr_probs\.onnx's scores: the output probabilities\. net\.onnx's scores: softmax of the output logits \(logits\)\./);
  });

  it('ROC AUC for a True/False target and for a 0.0/1.0 float target (labels and classes_[1] turned into text alike)', async () => {
    // pandas reads True/False as bool and a label column with a gap as float64: classes_[1] is True or 1.0.
    const script = [
      'import pickle, sys, numpy as np, pandas as pd',
      'from sklearn.linear_model import LogisticRegression',
      'from sklearn.tree import DecisionTreeClassifier',
      'from sklearn.metrics import roc_auc_score',
      'd = sys.argv[1]; rng = np.random.default_rng(3); X = rng.normal(size=(200, 2))',
      'y = (X[:, 0] + rng.normal(scale=0.8, size=200)) > 0',
      'out = {}',
      'for kind, target in (("bool", y), ("float", np.where(y, 1.0, 0.0))):',
      '    frame = pd.DataFrame({"f0": X[:, 0], "f1": X[:, 1], "label": target})',
      '    if kind == "float": frame.loc[len(frame)] = [0.0, 0.0, None]',
      '    frame.to_csv(f"{d}/{kind}.csv", index=False)',
      '    for name, m in (("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(max_depth=2, random_state=0))):',
      '        m.fit(frame[["f0", "f1"]].iloc[:200], frame["label"].iloc[:200])',
      '        pickle.dump(m, open(f"{d}/{name}_{kind}.pkl", "wb"))',
      '        out[f"{name}_{kind}"] = roc_auc_score(frame["label"].iloc[:200], m.predict_proba(frame[["f0", "f1"]].iloc[:200])[:, 1])',
      'print(__import__("json").dumps(out))',
    ].join('\n');
    const aucs = JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' })) as Record<string, number>;
    for (const [kind, positive] of [['bool', 'true'], ['float', '1']] as const) {
      const run = await compareOnData(python, model(`lr_${kind}.pkl`), model(`tree_${kind}.pkl`), join(dir, `${kind}.csv`), 'label', { cwd: dir, resamples: 200 });
      assert.equal(run.result.task, 'classification', kind);
      if (run.result.task !== 'classification') return;
      const auc = run.result.auc;
      assert.ok(typeof auc !== 'string', `${kind}: ${JSON.stringify(auc)}`);
      if (typeof auc === 'string') return;
      assert.equal(auc.positive, positive);
      assert.ok(Math.abs(auc.a - aucs[`lr_${kind}`]!) < 1e-12 && Math.abs(auc.b - aucs[`tree_${kind}`]!) < 1e-12, `${kind}: ${auc.a} ${auc.b} vs ${JSON.stringify(aucs)}`);
    }
  });

  it('two regressors: MAE, RMSE and R² as scikit-learn computes them; the interval as scipy\'s bootstrap', async () => {
    const run = await compareOnData(python, model('lin.pkl'), model('rtree.pkl'), join(dir, 'reg.csv'), 'price', { cwd: dir, resamples: 4000 });
    const r = run.result;
    assert.equal(r.task, 'regression');
    if (r.task !== 'regression') return;
    for (const [ours, theirs] of [[r.a.mae, expected.reg.mae[0]], [r.b.mae, expected.reg.mae[1]], [r.a.rmse, expected.reg.rmse[0]], [r.b.rmse, expected.reg.rmse[1]], [r.a.r2, expected.reg.r2[0]], [r.b.r2, expected.reg.r2[1]]] as const) assert.ok(Math.abs(ours - theirs) < 1e-9, `${ours} vs ${theirs}`);
    assert.ok(Math.abs(r.maeDiff.low - expected.reg.ci[0]) < 0.03 && Math.abs(r.maeDiff.high - expected.reg.ci[1]) < 0.03, `${JSON.stringify(r.maeDiff)} vs scipy ${JSON.stringify(expected.reg.ci)}`);
    assert.match(r.verdict, /^lin\.pkl is better than rtree\.pkl on MAE by 0\.909 \(0\.404 vs 1\.313\), 95% CI of the gain \[0\.\d+, 1\.\d+\]: the interval excludes 0\.$/);
  });

  it('three classes: the one-vs-rest macro ROC AUC as roc_auc_score(multi_class="ovr", average="macro"), the verdict on it', async () => {
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), env: { ML_ENGINEER_PYTHON: PYTHON }, cwd: dir };
    assert.equal(await runCli(['compare-models', 'lr3.pkl', 'tree3.pkl', '--data', 'mc.csv', '--target', 'label', '--json'], io, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal }), 0, err);
    const r = (JSON.parse(out) as { onData: ClassificationAB }).onData;
    if (typeof r.auc === 'string') return assert.fail(r.auc);
    assert.deepEqual(r.auc.classes, expected.mc.classes);
    assert.ok(Math.abs(r.auc.a - expected.mc.auc[0]) < 1e-12 && Math.abs(r.auc.b - expected.mc.auc[1]) < 1e-12, `${r.auc.a} ${r.auc.b} vs ${expected.mc.auc.join(' ')}`);
    assert.ok(r.auc.diff.low < r.auc.b - r.auc.a && r.auc.b - r.auc.a < r.auc.diff.high && r.auc.averagePrecision === undefined, JSON.stringify(r.auc));
    assert.equal(r.metric, 'roc_auc');
    const [aucA, aucB] = expected.mc.auc.map((v) => v.toFixed(4));
    assert.ok(r.verdict.startsWith(`lr3.pkl is better than tree3.pkl on ROC AUC by ${(r.auc.a - r.auc.b).toFixed(4)} (${aucA} vs ${aucB}), 95% CI of the gain [`), r.verdict);
    assert.match(r.verdict, /\]: the interval excludes 0\.$/);
    assert.match(r.metricNote, /^ROC AUC \(one-vs-rest, macro over 3 classes\), the default/);
    // Average precision is for two classes: asked for here, the verdict says so and falls back to the default.
    out = '';
    assert.equal(await runCli(['compare-models', 'lr3.pkl', 'tree3.pkl', '--data', 'mc.csv', '--target', 'label', '--metric', 'average_precision', '--no-benchmark'], io, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal }), 0, err);
    assert.ok(out.includes(`| ROC AUC (one-vs-rest macro) | ${aucA} [`), out);
    assert.match(out, /^The verdict is on no average precision for 3 classes; ROC AUC \(one-vs-rest, macro over 3 classes\), the default/m);
  });

  it('the verdict on the metric asked for: macro F1, average precision (the default where positives are rare), RMSE, R²; a missing one falls back, saying why', () => {
    // 100 rows, 8 positives: A ranks them better than B; both predict "0" for all but two rows.
    const truth = Array.from({ length: 100 }, (_, i) => (i % 12 === 0 ? '1' : '0'));
    const sa = truth.map((t, i) => (t === '1' ? 0.6 + (i % 5) / 20 : ((i * 37) % 100) / 160));
    const sb = truth.map((t, i) => (t === '1' ? 0.3 + (i % 5) / 20 : ((i * 37) % 100) / 120));
    const pa = sa.map((s) => (s > 0.5 ? '1' : '0'));
    const pb = sb.map((s) => (s > 0.5 ? '1' : '0'));
    const rare = compareClassifiers(truth, pa, pb, { names: ['a', 'b'], scores: { positive: '1', a: sa, b: sb }, resamples: 300 });
    assert.equal(rare.metric, 'average_precision');
    assert.match(rare.metricNote, /^average precision, the default for two classes with scores where the positive class is rare \(1 is 9\.0% of the rows, under 10%\)$/);
    assert.match(rare.verdict, /^a is better than b on average precision by 0\.\d{4} \(0\.9\d{3} vs 0\.\d{4}\), 95% CI of the gain \[0\.\d{4}, 0\.\d{4}\]: the interval excludes 0\.$/);
    const f1 = compareClassifiers(truth, pa, pb, { names: ['a', 'b'], metric: 'f1_macro', resamples: 300 });
    // A wins on a higher-is-better metric: the gain's interval is B − A's turned round.
    const f = (x: number) => x.toFixed(4);
    assert.equal(f1.verdict, `a is better than b on macro F1 by ${f(f1.a.f1Macro - f1.b.f1Macro)} (${f(f1.a.f1Macro)} vs ${f(f1.b.f1Macro)}), 95% CI of the gain [${f(-f1.f1Diff.high)}, ${f(-f1.f1Diff.low)}]: the interval excludes 0.`);
    assert.ok(!/McNemar/.test(f1.verdict));
    // ROC AUC asked for without scores: accuracy, with why.
    const noScores = compareClassifiers(truth, pa, pb, { names: ['a', 'b'], metric: 'roc_auc', resamples: 300 });
    assert.equal(noScores.metric, 'accuracy');
    assert.equal(noScores.metricNote, 'no ROC AUC (ROC AUC needs scores: neither model gave class probabilities); accuracy, the default where the models give no scores');
    assert.match(noScores.verdict, /^a is better than b on accuracy by 27\.0 points, 95% CI \[\d+\.\d, \d+\.\d\], McNemar p<0\.001: a real difference at 5%\.$/);
    const y = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
    const near = y.map((v, i) => v + (i % 2 ? 0.5 : -0.5));
    const far = y.map((v, i) => v + (i % 3 ? 2 : -2));
    const rmse = compareRegressors(y, far, near, { names: ['far', 'near'], metric: 'rmse', resamples: 300 });
    assert.match(rmse.verdict, /^near is better than far on RMSE by 1\.500 \(0\.500 vs 2\.000\), 95% CI of the gain \[1\.500, 1\.500\]: the interval excludes 0\.$/);
    const r2 = compareRegressors(y, far, near, { names: ['far', 'near'], metric: 'r2', resamples: 300 });
    assert.match(r2.verdict, /^near is better than far on R² by 0\.\d{3} \(0\.9\d{2} vs 0\.\d{3}\), 95% CI of the gain \[0\.\d{3}, \d\.\d{3}\]: the interval excludes 0\.$/);
    assert.equal(compareRegressors(y, far, near, { metric: 'accuracy', resamples: 50 }).metricNote, 'accuracy is not a regressor metric; MAE, the default for regressors');
  });

  it('McNemar\'s exact p agrees with scipy.stats.binomtest where the counts are large or lopsided', () => {
    const cases: [number, number][] = [[0, 0], [0, 5], [1, 1], [3, 11], [40, 60], [500, 560], [2000, 2150]];
    const script = `import json,sys; from scipy import stats; print(json.dumps([stats.binomtest(b, b + c, 0.5).pvalue if b + c else 1.0 for b, c in json.loads(sys.argv[1])]))`;
    const scipy = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(cases)], { encoding: 'utf8' })) as number[];
    cases.forEach(([b, c], i) => assert.ok(Math.abs(mcnemarExact(b, c) - scipy[i]!) < 1e-9 * Math.max(1, scipy[i]!), `${b}, ${c}: ${mcnemarExact(b, c)} vs ${scipy[i]}`));
    assert.throws(() => compareClassifiers(['a'], ['a', 'b'], ['a']), /same number of rows/);
  });

  it('`ml-engineer compare-models A B --data FILE --target COL` prints the verdict; a missing column is a clear error', async () => {
    let out = '';
    let err = '';
    const cli = (argv: string[]) => runCli(['compare-models', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: { ML_ENGINEER_PYTHON: PYTHON }, cwd: dir }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
    // --metric accuracy: the verdict on accuracy with McNemar's p, as scipy says it.
    assert.equal(await cli(['lr.pkl', 'tree.pkl', '--data', 'clf.csv', '--target', 'label', '--no-benchmark', '--metric', 'accuracy']), 0, err);
    assert.match(out, /^lr\.pkl is better than tree\.pkl on accuracy by 4\.3 points, 95% CI \[-?\d+\.\d, \d+\.\d\], McNemar p=0\.08: not a significant difference at 5%\.$/m);
    assert.match(out, /^The verdict is on accuracy, as asked; the other metrics are in the table\.$/m);
    out = '';
    assert.equal(await cli(['lr.pkl', 'tree.pkl', '--data', 'clf.csv', '--target', 'label', '--metric', 'auc']), 2);
    assert.match(err, /--metric is one of roc_auc, average_precision, accuracy, f1_macro, mae, rmse, r2/);
    out = '';
    assert.equal(await cli(['lr.pkl', 'tree.pkl', '--data', 'clf.csv', '--target', 'nope', '--json']), 1);
    assert.match(err, /clf\.csv has no column 'nope' \(its columns: x0, x1, x2, x3, label\)/);
  });
});
