import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { DataEngine } from '../../src/data/engine/engineClient';
import { gatherCardFacts } from '../../src/modelCard/gatherFacts';
import { buildModelCard } from '../../src/modelCard/modelCard';
import { cardReaders } from '../../src/modelCard/modelCardTool';
import { ModelReader } from '../../src/models/modelReader';
import { benchmarkText } from '../../src/models/runtime/benchmarkReport';
import { loadOrt, type BenchmarkResult } from '../../src/models/runtime/onnxRun';
import { RunCatalog } from '../../src/tracking/runCatalog';
import { formatMetric } from '../../src/tracking/runQuery';
import { TrackingReaders } from '../../src/tracking/workerSources';
import { assertEveryNumberSourced, assertLoadTestQuote, parseCard, type ParsedCard } from '../support/modelCardCheck';
import { writeMlflowExperiment } from '../support/trackingFixtures';

// The model card on real files: the example models, the example mlruns, churn.csv and a shifted
// copy, models from the corpora. Each card is parsed back; every number it states must be in a
// line its footnotes quote, and every quoted line is checked against the tools run again (the
// inspect and drift CLIs) or against the run's own files on disk.

const repo = join(__dirname, '..', '..');
const examples = join(repo, 'examples');
const corpora = join(repo, '..', 'shared', 'corpora');

async function cli(argv: string[], cwd = repo): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd }, { version: 'test', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
  return { code, out, err };
}

/** The trimmed, non-empty lines of a tool's output. */
const linesOf = (text: string): Set<string> => new Set(text.split('\n').map((l) => l.trim()).filter(Boolean));

/** An MLflow FileStore run's folder under `mlruns`, by id. */
function runDir(mlruns: string, id: string): string {
  for (const exp of readdirSync(mlruns)) {
    const dir = join(mlruns, exp, id);
    try {
      readdirSync(dir);
      return dir;
    } catch {
      // not in this experiment
    }
  }
  throw new Error(`no run ${id} under ${mlruns}`);
}

/** Each footnote's quote is a line the cited tool returns (run again here), or the run's files hold. */
async function assertQuotesTrue(card: ParsedCard, context: { cwd: string; mlruns?: string; benchmark?: BenchmarkResult; drift?: [string, string]; modelSha256?: string }): Promise<void> {
  const cache = new Map<string, Set<string>>();
  for (const [n, { title, quote }] of card.footnotes) {
    let m: RegExpExecArray | null;
    if ((m = /^inspect_model `(.+)`$/.exec(title))) {
      const key = `inspect ${m[1]}`;
      if (!cache.has(key)) {
        const ran = await cli(['inspect', m[1]!], context.cwd);
        assert.equal(ran.code, 0, ran.err);
        cache.set(key, linesOf(ran.out));
      }
      assert.ok(cache.get(key)!.has(quote), `[^${n}] ${quote} is not a line of ml-engineer inspect ${m[1]}`);
    } else if ((m = /^run `([0-9a-f]+)` \(MLflow, experiment `(.+)`\)$/.exec(title))) {
      const dir = runDir(context.mlruns!, m[1]!);
      const metric = /^metric (\S+): last (\S+) at step (\d+)$/.exec(quote);
      const param = /^param (\S+) = (.*)$/.exec(quote);
      const head = /^run (\S+) id=(\S+) status=(\S+)/.exec(quote);
      if (metric) {
        const rows = readFileSync(join(dir, 'metrics', metric[1]!), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
        const last = rows.reduce((a, b) => (b[2]! >= a[2]! ? b : a));
        assert.equal(metric[2], formatMetric(last[1]), `[^${n}] ${quote}: the file's last value is ${last[1]}`);
        assert.equal(Number(metric[3]), last[2], `[^${n}] ${quote}: the file's last step is ${last[2]}`);
      } else if (param) assert.equal(readFileSync(join(dir, 'params', param[1]!), 'utf8'), param[2], `[^${n}] ${quote}`);
      else if (head) {
        assert.equal(head[2], m[1]);
        assert.equal(readFileSync(join(dir, 'tags', 'mlflow.runName'), 'utf8'), head[1]);
      } else assert.fail(`[^${n}] an unexpected run line: ${quote}`);
    } else if (/^benchmark_model `(.+)`$/.test(title)) {
      assert.ok(context.benchmark, 'a benchmark footnote without a benchmark');
      assert.ok(linesOf(benchmarkText(/^benchmark_model `(.+)`$/.exec(title)![1]!, context.benchmark)).has(quote), `[^${n}] ${quote} is not a line of the benchmark's text`);
    } else if (title.startsWith('detect_drift ')) {
      assert.ok(context.drift, 'a drift footnote without a drift check');
      const key = 'drift';
      if (!cache.has(key)) {
        const ran = await cli(['drift', ...context.drift], context.cwd);
        assert.ok(ran.code === 0 || ran.code === 3, ran.err);
        cache.set(key, linesOf(ran.out));
      }
      assert.ok(cache.get(key)!.has(quote), `[^${n}] ${quote} is not a line of ml-engineer drift`);
    } else if (title.startsWith('load_test ')) {
      assert.ok(context.modelSha256, 'a load test footnote where none was expected');
      assertLoadTestQuote(context.cwd, context.modelSha256, title, quote);
    } else assert.fail(`[^${n}] an unknown source: ${title}`);
  }
}

/** The lines the footnotes of the one line of `lines` matching `pattern` (its groups: footnote numbers) quote. */
function citing(card: ParsedCard, lines: readonly string[], pattern: RegExp): string[] {
  const found = lines.map((l) => pattern.exec(l)).filter((m) => m !== null);
  assert.equal(found.length, 1, `${pattern} in\n${lines.join('\n')}`);
  return found[0]!.slice(1).map((n) => card.footnotes.get(Number(n))!.quote);
}

/** churn.csv with its customers changed: dearer plans, more month-to-month contracts. */
function shiftedChurn(dir: string): string {
  const [header, ...rows] = readFileSync(join(examples, 'data', 'churn.csv'), 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const charges = cols.indexOf('monthly_charges');
  const contract = cols.indexOf('contract');
  const shifted = rows.slice(0, 1500).map((row, i) => {
    // Rows with quoted cells ("$1,498.18") are kept as they are; the rest are shifted.
    if (row.includes('"')) return row;
    const cells = row.split(',');
    if (cells[charges]) cells[charges] = (Number(cells[charges]) + 30).toFixed(2);
    if (i % 3 !== 0) cells[contract] = 'month-to-month';
    return cells.join(',');
  });
  const path = join(dir, 'current.csv');
  writeFileSync(path, [header, ...shifted].join('\n') + '\n');
  return path;
}

describe('Model card on real files: every number sourced, nothing invented', function () {
  this.timeout(180_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'mle-card-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('an ONNX model with its run, a benchmark and a drift check against shifted churn data', async () => {
    const current = shiftedChurn(tmp);
    const reference = join(examples, 'data', 'churn.csv');
    const reader = new ModelReader({ idleMs: 0 });
    const tracking = new TrackingReaders();
    const catalog = new RunCatalog();
    const engine = new DataEngine();
    let measured: BenchmarkResult | undefined;
    try {
      const readers = cardReaders(
        {
          inspect: (p, s) => reader.inspect(p, s),
          runs: async (s) => {
            catalog.setSources((await tracking.discover(examples)).sources);
            await catalog.loadAll(s);
            return catalog.runs();
          },
          ort: () => loadOrt(),
          engine: () => engine,
        },
        'examples/models/simple_cnn.onnx',
      );
      const facts = await gatherCardFacts(
        { model: join(examples, 'models', 'simple_cnn.onnx'), display: (p) => relative(repo, p), run: '3f2a9c1e', reference, current },
        { ...readers, benchmark: async (path, info, signal) => (measured = await readers.benchmark!(path, info, signal)) },
      );
      const card = buildModelCard(facts);
      const parsed = parseCard(card.markdown);
      const numbers = assertEveryNumberSourced(parsed);
      assert.ok(numbers >= 30, `${numbers} numbers checked`);
      await assertQuotesTrue(parsed, { cwd: repo, mlruns: join(examples, 'mlruns'), ...(measured ? { benchmark: measured } : {}), drift: [reference, current] });

      // What each section holds, and what the tools did not give.
      assert.match(parsed.front, /^library_name: onnx$/m);
      assert.match(parsed.front, /^run_id: "3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b"$/m);
      const evaluation = parsed.section('Evaluation').join('\n');
      for (const metric of readdirSync(join(examples, 'mlruns', '412570119832766211', '3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b', 'metrics'))) assert.match(evaluation, new RegExp(`\\| \`${metric}\` \\| `));
      assert.match(parsed.section('Inputs and outputs').join('\n'), /input `x`: float32\[batch_size, 3, 32, 32\]/);
      assert.match(parsed.section('Size and latency').join('\n'), /Latency mean: \S+ ms/);
      const drift = parsed.section('Drift check').join('\n');
      // The id and total_charges (text with units) are not categories: left out, and said so.
      assert.match(drift, /Result: (No dataset drift|Dataset drift): \d+ of 12 columns drifted/);
      assert.match(drift, /Not compared: `customer_id`, `total_charges`/);
      assert.match(drift, /Drifted: `monthly_charges`/);
      assert.match(drift, /Drifted: `contract`/);
      assert.ok(!/Drifted: `region`/.test(drift), 'region was not shifted');
      assert.ok(parsed.notFound.some((m) => m.startsWith('validation method: run `3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b` logs no split')), parsed.notFound.join('\n'));
      assert.ok(parsed.notFound.some((m) => m.startsWith('intended use')));
      assert.match(parsed.section('Limitations').join('\n'), /drifted from the reference/);
    } finally {
      reader.dispose();
      catalog.dispose();
      tracking.dispose();
      await engine.close();
    }
  });

  it('ml-engineer model-card on the scikit-learn pipeline, no run names it: the card says so and states no metric', async () => {
    const out = join(tmp, 'pipeline-card.md');
    const ran = await cli(['model-card', 'examples/models/churn_pipeline.joblib', '--out', out, '--runs', 'examples', '--json']);
    assert.equal(ran.code, 0, ran.err);
    const report = JSON.parse(ran.out) as { card: string; footnotes: number; missing: string[] };
    const parsed = parseCard(readFileSync(out, 'utf8'));
    assert.equal(parsed.footnotes.size, report.footnotes);
    assert.deepEqual(parsed.notFound, report.missing);
    assertEveryNumberSourced(parsed);
    await assertQuotesTrue(parsed, { cwd: repo });
    assert.deepEqual(parsed.section('Evaluation'), ['Not found (see *Not found*).']);
    assert.ok(!parsed.front.includes('run_id'));
    for (const why of [/^the training run: no run was given, and no run found names `churn_pipeline\.joblib`/, /^latency: benchmarks run ONNX models and this is `sklearn`/, /^drift check: no reference/]) {
      assert.ok(parsed.notFound.some((m) => why.test(m)), `${why} in ${parsed.notFound.join(' | ')}`);
    }
    // #20: the outputs are the classifier's, stated from the estimator and classes_ inspect_model read (quotes checked above).
    assert.ok(!parsed.notFound.some((m) => /^outputs: |^class probabilities: /.test(m)), parsed.notFound.join(' | '));
    const io = parsed.section('Inputs and outputs');
    const steps = citing(parsed, io, /^- output: the predicted class \(`predict` of `LogisticRegression`\[\^(\d+)\]\), one of 2 classes: `churned`, `stayed`\[\^(\d+)\]$/);
    assert.deepEqual(steps, ['Steps: standardscaler: StandardScaler → logisticregression: LogisticRegression', 'Classes: 2: churned, stayed']);
    assert.deepEqual(citing(parsed, io, /^- output: class probabilities \(`predict_proba`\), one column per class in the order above: `LogisticRegression`\[\^(\d+)\] has them$/), [steps[0]]);
    assert.match(parsed.section('Model details').join('\n'), /Feature names: tenure_months, monthly_charges, support_calls, contract_years\[\^\d+\]/);
    assert.match(parsed.section('Limitations').join('\n'), /joblib\.load \/ pickle\.load runs their code/);
  });

  it('finds the run whose artifacts hold the model, and names none when two runs claim it', async () => {
    const ws = join(tmp, 'ws');
    const mlruns = join(ws, 'mlruns');
    writeMlflowExperiment(mlruns, '7', 'churn', [
      { id: 'aaaa1111bbbb2222cccc3333dddd4444', name: 'baseline', params: { model: 'majority', test_size: '0.2', seed: '20' }, metrics: { val_auc: [0.5] } },
      { id: 'eeee5555ffff6666aaaa7777bbbb8888', name: 'logreg', params: { model: 'logreg', C: '0.5', test_size: '0.2', seed: '20', dataset: 'data/churn.csv' }, metrics: { val_auc: [0.79, 0.8213], val_loss: [0.41, 0.3874] } },
    ]);
    const artifacts = join(mlruns, '7', 'eeee5555ffff6666aaaa7777bbbb8888', 'artifacts', 'model');
    mkdirSync(artifacts, { recursive: true });
    cpSync(join(examples, 'models', 'churn_pipeline.joblib'), join(artifacts, 'churn_pipeline.joblib'));
    mkdirSync(join(ws, 'models'));
    cpSync(join(examples, 'models', 'churn_pipeline.joblib'), join(ws, 'models', 'churn_pipeline.joblib'));

    const ran = await cli(['model-card', 'models/churn_pipeline.joblib'], ws);
    assert.equal(ran.code, 0, ran.err);
    const parsed = parseCard(readFileSync(join(ws, 'models', 'MODEL_CARD.md'), 'utf8'));
    assertEveryNumberSourced(parsed);
    await assertQuotesTrue(parsed, { cwd: ws, mlruns });
    const evaluation = parsed.section('Evaluation').join('\n');
    assert.match(evaluation, /Run: `logreg` \(id `eeee5555ffff6666aaaa7777bbbb8888`, finished\)/);
    assert.match(evaluation, /Validation: run param `test_size`: 0\.2\[\^\d+\]/);
    assert.match(evaluation, /\| `val_auc` \| 0\.8213 \| 1 \| \[\^\d+\] \|/);
    assert.match(parsed.section('Training data').join('\n'), /run param `dataset`: data\/churn\.csv/);
    assert.ok(!parsed.notFound.some((m) => m.startsWith('validation method')), parsed.notFound.join('\n'));

    // A second run naming the file: the card picks neither.
    writeMlflowExperiment(mlruns, '8', 'churn-again', [{ id: '99998888777766665555444433332222', name: 'retrain', params: { model_path: 'models/churn_pipeline.joblib' }, metrics: { val_auc: [0.9] } }]);
    const again = await cli(['model-card', 'models/churn_pipeline.joblib', '--out', 'card2.md'], ws);
    assert.equal(again.code, 0, again.err);
    const ambiguous = parseCard(readFileSync(join(ws, 'card2.md'), 'utf8'));
    assert.deepEqual(ambiguous.section('Evaluation'), ['Not found (see *Not found*).']);
    assert.ok(ambiguous.notFound.some((m) => /^the training run: more than one run names `churn_pipeline\.joblib` \(`eeee5555ffff6666aaaa7777bbbb8888`, `99998888777766665555444433332222`\)/.test(m)), ambiguous.notFound.join('\n'));
    assert.ok(!/0\.9\b|0\.8213/.test(ambiguous.body.join('\n')), 'no metric of either run');

    // A run named that does not exist: said, not replaced by another.
    const named = await cli(['model-card', 'models/churn_pipeline.joblib', '--out', 'card3.md', '--run', 'no-such-run'], ws);
    assert.equal(named.code, 0, named.err);
    assert.ok(parseCard(readFileSync(join(ws, 'card3.md'), 'utf8')).notFound.some((m) => m.startsWith('the training run: the run `no-such-run` is not among the runs found')));
  });

  it('scikit-learn models trained here: a regressor outputs a number, an SVC without probability=True no probabilities', async function () {
    const dir = join(tmp, 'sk');
    mkdirSync(dir);
    const script = [
      'import sys, joblib, numpy as np',
      'from sklearn.linear_model import Ridge',
      'from sklearn.pipeline import Pipeline',
      'from sklearn.preprocessing import StandardScaler',
      'from sklearn.svm import SVC',
      'rng = np.random.default_rng(0); X = rng.normal(size=(60, 3)); d = sys.argv[1]',
      "joblib.dump(Ridge(alpha=2.0).fit(X, X @ [1.0, -2.0, 0.5]), d + '/ridge.joblib')",
      "joblib.dump(Pipeline([('scale', StandardScaler()), ('clf', SVC())]).fit(X, (X[:, 0] > 0).astype(int) + 3), d + '/svc.joblib')",
    ].join('\n');
    const trained = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8', timeout: 120_000 });
    if (trained.status !== 0) {
      if (/No module named/.test(trained.stderr)) this.skip();
      assert.fail(trained.stderr);
    }
    const card = async (name: string): Promise<ParsedCard> => {
      const ran = await cli(['model-card', join(dir, name), '--out', join(dir, `${name}.md`), '--runs', dir], dir);
      assert.equal(ran.code, 0, ran.err);
      const parsed = parseCard(readFileSync(join(dir, `${name}.md`), 'utf8'));
      assertEveryNumberSourced(parsed);
      await assertQuotesTrue(parsed, { cwd: dir });
      assert.ok(!parsed.notFound.some((m) => /^outputs: /.test(m)), parsed.notFound.join(' | '));
      return parsed;
    };
    const ridge = await card('ridge.joblib');
    assert.deepEqual(citing(ridge, ridge.section('Inputs and outputs'), /^- output: a number per row, the predicted value \(`predict` of `Ridge`\[\^(\d+)\], a regressor\)$/), ['Contents: Ridge (sklearn.linear_model._ridge)']);
    const svc = await card('svc.joblib');
    const io = svc.section('Inputs and outputs');
    assert.deepEqual(citing(svc, io, /^- output: the predicted class \(`predict` of `SVC`\[\^(\d+)\]\), one of 2 classes: `3`, `4`\[\^(\d+)\]$/), ['Steps: scale: StandardScaler → clf: SVC', 'Classes: 2: 3, 4']);
    assert.deepEqual(citing(svc, io, /^- no class probabilities: `SVC`\[\^\d+\] with `clf__probability` = False\[\^(\d+)\] has no `predict_proba` that works$/), ['clf__probability: False']);
  });

  it('cards of models from the corpora (ONNX from PyTorch, safetensors) quote only what inspect returns', async () => {
    const models = [join(corpora, 'onnx', 'pytorch-converted', 'test_Conv3d_groups.onnx'), join(corpora, 'onnx', 'pytorch-converted', 'test_Embedding.onnx'), join(corpora, 'safetensors', 'H_U16.safetensors')];
    for (const model of models) {
      const out = join(tmp, `${model.split('/').at(-1)}.md`);
      const ran = await cli(['model-card', model, '--out', out, '--runs', tmp, '--no-benchmark'], tmp);
      assert.equal(ran.code, 0, ran.err);
      const parsed = parseCard(readFileSync(out, 'utf8'));
      assertEveryNumberSourced(parsed);
      await assertQuotesTrue(parsed, { cwd: tmp });
      assert.ok(parsed.notFound.some((m) => m.startsWith('latency: not measured')), parsed.notFound.join('\n'));
      assert.ok(parsed.footnotes.size >= 2, `${model}: ${parsed.footnotes.size} footnotes`);
    }
  });

  it('a model that is not one refuses with the reason and writes nothing', async () => {
    const bogus = join(tmp, 'notes.onnx');
    writeFileSync(bogus, 'not a model\n');
    const ran = await cli(['model-card', bogus, '--out', join(tmp, 'bogus.md'), '--runs', tmp]);
    assert.equal(ran.code, 1);
    assert.match(ran.err, /ml-engineer model-card: .*notes\.onnx/);
    assert.throws(() => readFileSync(join(tmp, 'bogus.md')));
  });
});
