import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeadlessReport } from '../../src/headless/headlessAgent';
import { startFakeMessagesApi, type FakeMessagesApi } from '../support/fakeMessagesApi';
import { assertEveryNumberSourced, parseCard } from '../support/modelCardCheck';
import { abAccuracy, abAuc, BASELINE_PATH, claimedNumbers, EXPORT_CHECK, HOLDOUT_ENCODED_PATH, HOLDOUT_PATH, inspected, KERNEL_RUNS, MLP_INT8_PATH, MLP_ONNX_PATH, MLP_PATH, MODEL_PATH, NORTH_STAR_ASK, NOTEBOOK_PATH, northStarScript, REFERENCE_PATH, rocAuc, sampleDiff, SERVE_BUILD, SERVED_PATH, STEP_PATH, STEP_SOURCE, tableCell, toolTurns, trainedRuns } from '../support/northStarTranscript';

/** Where the served app (serve_locally on the MLP's pipeline) logs what it predicted. */
const APP = 'deploy/churn_mlp_pipeline-fastapi';
const REQUEST_LOG = `${APP}/logs/requests.jsonl`;
import { northStarWorkspace } from '../support/northStarWorkspace';
import { runAsk } from '../support/runAsk';

// The whole north star (issue #20) through `ml-engineer ask --allow write,execute`: the loopback
// Messages API plays the model (test/support/northStarTranscript.ts, the same turns as the chat's
// e2e walkthrough); the tools are real: the data engine, a notebook written by create_file whose cells
// run in the folder's Jupyter kernel (Debian's jupyter_server and ipykernel) and log three MLflow runs (the
// third a PyTorch MLP), the tracking catalog, the MLP's ONNX export (torch), inspection, benchmark, int8 copy and
// both compared (onnxruntime-web), the MLP behind its fitted encoder (one scikit-learn pipeline whose last
// step runs the TorchScript MLP) served by uvicorn (Debian's python3-uvicorn, as serveLocally.test.ts runs it)
// and sent the incoming rows, the drift check of
// the app's own request log, the model card.
// The transcript is kept as examples/north-star/transcript.md (NORTH_STAR_TRANSCRIPT=1 rewrites it).

const repo = join(__dirname, '..', '..');
const SAVED = join(repo, 'examples', 'north-star', 'transcript.md');

/** The transcript as a person reads it: the ask, then each turn's text, tool call and result. */
function transcriptMarkdown(finalText: string, turns: ReturnType<typeof toolTurns>, texts: string[]): string {
  const out = ['# North star transcript: `ml-engineer ask --allow write,execute`', '', 'Written by test/integration/northStarTranscript.test.ts (`NORTH_STAR_TRANSCRIPT=1` rewrites it) from a real run: the model\'s turns are scripted (test/support/northStarTranscript.ts), every tool result is what the tool returned.', '', `**User:** ${NORTH_STAR_ASK}`, ''];
  turns.forEach((turn, i) => {
    const { code, ...rest } = turn.input;
    const notebook = turn.name === 'create_file' && turn.input.path === NOTEBOOK_PATH;
    const module = turn.name === 'create_file' && !notebook;
    const input = notebook ? { ...turn.input, content: '(an nbformat 4 notebook: test/fixtures/northStar/churn_notebook.py\'s cells)' } : module ? { ...turn.input, content: '(below)' } : turn.name === 'run_in_kernel' ? rest : turn.input;
    const ran = turn.name === 'run_in_kernel' || module ? ['', '```python', String(turn.name === 'run_in_kernel' ? code : turn.input.content).trim(), '```'] : [];
    out.push(`**Agent:** ${texts[i] ?? ''}`, '', `→ \`${turn.name}\` ${JSON.stringify(input)}`, ...ran, '', '```text', turn.result.length > 4000 ? `${turn.result.slice(0, 4000)}\n[… cut for the example …]` : turn.result, '```', '');
  });
  out.push(`**Agent:** ${finalText}`, '');
  return out.join('\n');
}

/**
 * The TorchScript MLP's class for each raw row through the encoder it was trained behind (the logistic
 * regression's), computed here apart from the served app: what a user posting those rows must get back.
 */
function mlpPredictions(ws: string, rows: readonly Record<string, unknown>[]): unknown[] {
  const script = [
    'import json, sys, joblib, pandas as pd, torch',
    `encode = joblib.load(${JSON.stringify(MODEL_PATH)})[0]`,
    `mlp = torch.jit.load(${JSON.stringify(MLP_PATH)})`,
    'frame = pd.DataFrame(json.load(sys.stdin), columns=list(encode.feature_names_in_))',
    'with torch.no_grad():',
    '    print(json.dumps(mlp(torch.tensor(encode.transform(frame), dtype=torch.float32)).argmax(1).tolist()))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { cwd: ws, input: JSON.stringify(rows), encoding: 'utf8' })) as unknown[];
}

/** Each assistant message's text, in order. */
function assistantTexts(messages: { role: string; content: string | { type: string; text?: unknown }[] }[]): string[] {
  return messages.filter((m) => m.role === 'assistant').map((m) => (typeof m.content === 'string' ? m.content : m.content.filter((b) => b.type === 'text').map((b) => String(b.text)).join('\n')));
}

/** Asserts that every number in `answer` appears in some tool result. */
function assertNumbersFromTools(answer: string, results: readonly string[]): void {
  const sources = results.join('\n').replace(/(\d),(\d{3})/g, '$1$2');
  for (const n of claimedNumbers(answer)) assert.ok(new RegExp(`(?<![\\d.])${n.replace('.', '\\.')}(?![\\d])`).test(sources), `the answer claims ${n}, which no tool returned`);
}

describe('North star (#20) transcript through ml-engineer ask: data, baseline, tracked runs, compare, ONNX export, serve, drift, card', function () {
  this.timeout(480_000);
  let server: FakeMessagesApi;
  let ws: string;

  before(async () => {
    server = await startFakeMessagesApi(northStarScript);
    ws = northStarWorkspace('mle-northstar-full-');
  });
  after(async () => {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('runs every step with real tools, leaves the runs, model and card, and the answer claims only numbers the tools returned', async () => {
    const started = Date.now();
    const ran = await runAsk([NORTH_STAR_ASK, '--folder', ws, '--allow', 'write,execute', '--python', '/usr/bin/python3', '--json'], repo, {
      ANTHROPIC_API_KEY: 'sk-ant-test-key-0123456789',
      ANTHROPIC_BASE_URL: server.baseURL,
    });
    const wallMs = Date.now() - started;
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as HeadlessReport;
    assert.equal(report.ok, true, JSON.stringify(report.notices));
    // A kernel run that outlasts its wait is followed by wait_for_execution: those calls may come between.
    assert.deepEqual(
      report.tool_calls.map((c) => [c.name, c.status]).filter(([name]) => name !== 'wait_for_execution'),
      [
        ['describe_dataset', 'done'], ['create_file', 'done'], ['run_in_kernel', 'done'], ['run_in_kernel', 'done'], ['run_in_kernel', 'done'], ['compare_runs', 'done'],
        ['export_model', 'done'], ['inspect_model', 'done'], ['benchmark_model', 'done'], ['optimize_model', 'done'], ['compare_models', 'done'], ['compare_models_on_data', 'done'],
        ['run_in_kernel', 'done'], ['create_file', 'done'], ['run_in_kernel', 'done'], ['serve_locally', 'done'], ['load_test', 'done'], ['send_requests', 'done'], ['detect_drift', 'done'], ['write_model_card', 'done'],
      ],
      report.text,
    );
    const lastRequest = server.requests.at(-1)!.body;
    const turns = toolTurns(lastRequest);
    const results = turns.map((t) => t.result);

    // Files left: the notebook (valid nbformat 4, its cells the code that ran), three finished MLflow runs in the churn experiment, the models, the splits, the card.
    const notebook = JSON.parse(readFileSync(join(ws, NOTEBOOK_PATH), 'utf8')) as { nbformat: number; cells: { cell_type: string; source: string[] }[] };
    assert.equal(notebook.nbformat, 4);
    const cellCode = notebook.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
    assert.equal([KERNEL_RUNS.baseline, KERNEL_RUNS.better, KERNEL_RUNS.mlp].join('\n\n'), cellCode.join('\n\n'));
    const kernelRuns = turns.filter((t) => t.name === 'run_in_kernel');
    assert.deepEqual(kernelRuns.map((t) => t.input.code), [KERNEL_RUNS.baseline, KERNEL_RUNS.better, KERNEL_RUNS.mlp, EXPORT_CHECK, SERVE_BUILD]);
    assert.match(kernelRuns[0]!.result, /^kernel: python3 kernel in /);
    for (const file of ['data/churn_reference.csv', HOLDOUT_PATH, HOLDOUT_ENCODED_PATH, BASELINE_PATH, MODEL_PATH, MLP_PATH, MLP_ONNX_PATH, MLP_INT8_PATH, SERVED_PATH]) assert.ok(existsSync(join(ws, file)), file);
    assert.equal(readFileSync(join(ws, STEP_PATH), 'utf8'), STEP_SOURCE);
    const experiment = readdirSync(join(ws, 'mlruns')).find((e) => /name: churn$/m.test(readFileSync(join(ws, 'mlruns', e, 'meta.yaml'), 'utf8')));
    assert.ok(experiment, 'the churn experiment in mlruns/');
    const runs = readdirSync(join(ws, 'mlruns', experiment)).filter((r) => r !== 'meta.yaml');
    assert.deepEqual(runs.sort(), Object.values(trainedRuns(turns)).map((r) => r.run_id).sort());

    // compare_runs saw the three runs; the MLP is best, above the logistic regression, above the baseline.
    const compared = turns.find((t) => t.name === 'compare_runs')!.result;
    const auc = rocAuc(compared);
    assert.ok(auc, compared);
    assert.match(auc[0], /#3=[\d.]+@0 \S+\*$/, 'the MLP marked best');
    assert.equal(Number(auc[1]), 0.5);
    assert.ok(Number(auc[2]) > 0.8 && Number(auc[3]) > Number(auc[2]), compared);
    assert.match(compared, /^ {2}layers: #1=\(unset\) #2=\(unset\) #3=(\d+)-64-32-2$/m);

    // Step 4 on the MLP: exported by torch (the TorchScript exporter), its ONNX file's inputs and outputs as export_model and inspect_model say them.
    const features = trainedRuns(turns)['mlp']!.features!;
    assert.deepEqual(turns.find((t) => t.name === 'export_model')!.input, { path: MLP_PATH, target: 'onnx', input_shape: [1, features] });
    const exported = turns.find((t) => t.name === 'export_model')!.result;
    assert.match(exported, new RegExp(`^Exported ${MLP_ONNX_PATH.replace('.', '\\.')} with torch \\S+ in [\\d.]+ s\\. Inputs: input \\[batch, ${features}\\]; outputs: output \\[batch, 2\\]\\.$`), exported);
    const info = inspected(turns.find((t) => t.name === 'inspect_model')!.result);
    assert.deepEqual(info.io, [`input: float32[batch, ${features}]`, 'output: float32[batch, 2]']);
    const bench = turns.find((t) => t.name === 'benchmark_model')!.result;
    assert.match(bench, /^Runtime: onnxruntime-web [\d.]+, WebAssembly, 1 thread, CPU\. Batch 1; /m, bench);
    assert.match(tableCell(bench, 'mean'), /^[\d.]+ ms ±[\d.]+%$/);
    // The int8 copy: onnxruntime's quantizer where the Python has it, else the built-in weight-only rewrite, saying which and why.
    const optimized = turns.find((t) => t.name === 'optimize_model')!.result;
    assert.match(optimized, /^\| Written by \| (ML Engineer's built-in weight-only int8 rewrite|onnxruntime)/m, optimized);
    assert.match(optimized, /^\| Size \| [\d.]+ KB → [\d.]+ KB \(\d+% of the original\) \|$/m, optimized);
    const twoOnnx = turns.find((t) => t.name === 'compare_models')!.result;
    assert.match(twoOnnx, /^Same inputs and outputs \(names, types, shapes\)\.$/m);
    assert.ok(Number(sampleDiff(twoOnnx)) < 0.05, twoOnnx);
    // Both ONNX files on the encoded hold-out split: 1000 rows, accuracy each, the verdict on ROC AUC.
    const abTurn = turns.find((t) => t.name === 'compare_models_on_data')!;
    assert.deepEqual(abTurn.input, { a: MLP_ONNX_PATH, b: MLP_INT8_PATH, data: HOLDOUT_ENCODED_PATH, target: 'churned', metric: 'roc_auc' });
    assert.match(abTurn.result, /\(target churned, 1000 rows\)/);
    // The MLP's lone two-column output gives the scores, so the verdict is on the metric the agent asked for.
    assert.match(abTurn.result, /on ROC AUC/, abTurn.result);
    assert.match(abTurn.result, /softmax of the only output output/, abTurn.result);
    // The full-precision ONNX file ranks the hold-out rows as the MLP the notebook logged did.
    const onnxAuc = abAuc(abTurn.result);
    assert.ok(onnxAuc, abTurn.result);
    assert.equal(Number(onnxAuc[1]).toFixed(3), Number(auc[3]).toFixed(3), `${onnxAuc[0]} against the logged ${auc[3]}`);
    const acc = abAccuracy(abTurn.result);
    assert.ok(acc && Number(acc[1]) > 80 && Math.abs(Number(acc[1]) - Number(acc[2])) < 2, abTurn.result);

    // Served: the MLP behind its encoder, saved after the kernel checked its scores against the MLP's own; the app
    // written beside the workspace's other deployments, load-tested with the training split's rows, then every
    // incoming row answered; the app's own request log holds both, each row marked with its source.
    assert.match(kernelRuns[4]!.result, /"max_score_difference": 0\.0\n/, kernelRuns[4]!.result);
    const served = turns.find((t) => t.name === 'serve_locally')!.result;
    assert.match(served, /^Serving deploy\/churn_mlp_pipeline-fastapi as server "churn_mlp_pipeline-fastapi" at http:\/\/127\.0\.0\.1:\d+ /, served);
    assert.ok(existsSync(join(ws, APP, 'app.py')));
    const sent = turns.find((t) => t.name === 'send_requests')!.result;
    assert.match(sent, /^Sent 800 of the 800 rows of data\/incoming\.csv to churn_mlp_pipeline-fastapi .* in 16 requests .*: 16 × 200\.$/m, sent);
    // The log's first 200 rows are the load test's (marked so), the 800 after them send_requests'.
    const all = readFileSync(join(ws, REQUEST_LOG), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual([...new Set(all.slice(0, 200).map((r) => r.__source))], ['load_test']);
    const logged = all.slice(200);
    assert.deepEqual([...new Set(logged.map((r) => r.__source))], ['request']);
    const loadTest = turns.find((t) => t.name === 'load_test')!.result;
    assert.deepEqual(turns.find((t) => t.name === 'load_test')!.input, { server: 'churn_mlp_pipeline-fastapi', data: REFERENCE_PATH, requests: 200, concurrency: 4 });
    assert.match(loadTest, /^200 requests, 4 in flight; all requests answered after /m, loadTest);
    assert.match(loadTest, /^\| ok \| 200 \|$/m, loadTest);
    assert.match(loadTest, /^\| errors \| none \|$/m, loadTest);
    assert.ok(existsSync(join(ws, APP, 'logs', 'load_tests.jsonl')));
    assert.equal(all.length, 1000);
    const predicted = /^Predictions: 0: (\d+), 1: (\d+)\.$/m.exec(sent);
    assert.ok(predicted, sent);
    assert.equal(logged.filter((r) => r.__prediction === 1).length, Number(predicted[2]));
    // The features went through as the model takes them: no column refused, the boolean a boolean.
    assert.equal(typeof logged[0]!.paperless_billing, 'boolean');
    assert.equal(typeof logged[0]!.total_charges, 'number');
    // What was served is the MLP: each logged prediction is the TorchScript MLP's on the encoder's features of that raw row.
    assert.deepEqual(logged.map((r) => r.__prediction), mlpPredictions(ws, logged));

    // The drift check read that log without the load test's rows (its report says so): monthly_charges drifted (the price rise), the model's 11 inputs compared.
    const driftTurn = turns.find((t) => t.name === 'detect_drift')!;
    assert.equal(driftTurn.input.current, REQUEST_LOG);
    const drift = driftTurn.result;
    assert.match(drift, /^# Drift: requests\.jsonl against churn_reference\.csv$/m);
    assert.match(drift, /^No dataset drift: 1 of 11 columns drifted .*: monthly_charges\.$/m);
    assert.match(drift, /^Reference 4000 rows, current 800 rows\. Load-test rows left out: 200 of the current data \(requests the load tester sent, not traffic\)\.$/m, drift);
    assert.doesNotMatch(drift, /\| __(prediction|latency_ms|ts) \|/);

    // The card of what is served (the MLP behind its encoder): its run (named by the agent), its metric sourced, every
    // number footnoted; the raw columns it takes, its steps, and its latency as the load test of its server measured it.
    const card = parseCard(readFileSync(join(ws, 'models', 'MODEL_CARD.md'), 'utf8'));
    assert.ok(assertEveryNumberSourced(card) > 20);
    assert.match(card.section('Evaluation').join('\n'), new RegExp(`\`roc_auc\` \\| ${auc[3]!.replace('.', '\\.')} `));
    assert.match(card.section('Evaluation').join('\n'), /^- `model_path`: models\/churn_mlp\.pt\[\^\d+\]$/m);
    assert.match(card.section('Model details').join('\n'), /^- Steps: columntransformer: ColumnTransformer → torchscriptclassifier: TorchScriptClassifier\[\^\d+\]$/m);
    const inputs = card.section('Inputs and outputs');
    const columns = ['age', 'region', 'tenure_months', 'contract', 'contract_years', 'plan', 'monthly_charges', 'total_charges', 'support_calls', 'payment_method', 'paperless_billing'];
    assert.deepEqual(inputs.flatMap((l) => /^- input `(\w+)`: (?:float64|object)\[batch\]\[\^\d+\]$/.exec(l)?.[1] ?? []), columns, inputs.join('\n'));
    assert.ok(inputs.some((l) => /^- output: the predicted class \(`predict` of `TorchScriptClassifier`\[\^\d+\]\), one of 2 classes: `0`, `1`\[\^\d+\]$/.test(l)), inputs.join('\n'));
    const sizeAndLatency = card.section('Size and latency').join('\n');
    assert.match(sizeAndLatency, new RegExp(`^- Served latency p95: ${tableCell(loadTest, 'p95').replace('.', '\\.')}\\[\\^\\d+\\]$`, 'm'), sizeAndLatency);
    assert.match(sizeAndLatency, new RegExp(`^- Served by: uvicorn .*serving ${APP}/app\\.py on 127\\.0\\.0\\.1;.*\\[\\^\\d+\\]$`, 'm'), sizeAndLatency);
    const cardDrift = card.section('Drift check').join('\n');
    assert.match(cardDrift, /Drifted: `monthly_charges`/);
    assert.ok(cardDrift.includes(`- Data: \`${REQUEST_LOG}\` (a served app's request log: the rows sent to the model it serves) against \`data/churn_reference.csv\``), cardDrift);
    // total_charges, a number once the script parsed its units, is compared and did not drift.
    assert.match(cardDrift, /Result: No dataset drift: 1 of 11 columns drifted/);
    assert.match(cardDrift, /^- Load-test rows left out: 200 of the current data\[\^\d+\]$/m, cardDrift);
    assert.match(card.section('Training data').join('\n'), /Drift check reference `churn_reference\.csv`: 4000 rows\[\^\d+\]/);
    assert.doesNotMatch(cardDrift, /Drifted: `total_charges`/);

    // Every number the agent's texts claim came from a tool result (the ask's and the script's aside).
    // The final answer: what the script answered to the last request (the report's text holds every turn's).
    const final = northStarScript(lastRequest);
    const finalText = final.kind === 'message' ? final.blocks.map((b) => (b.type === 'text' ? b.text : '')).join('') : '';
    assert.ok(report.text.endsWith(finalText), report.text);
    const texts = assistantTexts([...lastRequest.messages, { role: 'assistant', content: finalText }]);
    for (const text of texts) assertNumbersFromTools(text.replace(/```[\s\S]*?```/g, '').replace(/random_state=0|80\/20|0\/1/g, ''), results);
    assert.match(finalText, new RegExp(`ROC AUC ${auc[3]!.replace('.', '\\.')} `));

    const markdown = transcriptMarkdown(finalText, turns, texts);
    if (process.env.NORTH_STAR_TRANSCRIPT) writeFileSync(SAVED, markdown);
    const usage = report.usage;
    const read = usage.cache_read_input_tokens / Math.max(1, usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens);
    console.log(`      north star (headless, whole): ${server.requests.length} requests, ${wallMs} ms; tokens in ${usage.input_tokens}, cache read ${usage.cache_read_input_tokens}, cache write ${usage.cache_creation_input_tokens} (${Math.round(read * 100)}% read), out ${usage.output_tokens}, cost ${report.cost_usd ?? '?'}`);
  });

  it('the saved example transcript claims only numbers its tool results hold', () => {
    const saved = readFileSync(SAVED, 'utf8');
    const blocks = [...saved.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const said = [...saved.matchAll(/^\*\*Agent:\*\* ([\s\S]*?)(?=\n\n→|\n*$)/gm)].map((m) => m[1]!);
    assert.ok(blocks.length >= 13 && said.length >= 14, `${blocks.length} results, ${said.length} turns`);
    for (const text of said) assertNumbersFromTools(text.replace(/random_state=0|80\/20|0\/1/g, ''), blocks);
  });
});
