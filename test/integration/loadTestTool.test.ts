import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataEngine } from '../../src/data/engine/engineClient';
import { detectFileDrift } from '../../src/monitoring/driftScan';
import { latestLoadTestOf, readRecords, sha256File } from '../../src/serving/loadTestRecord';
import { assertEveryNumberSourced, assertLoadTestQuote, parseCard } from '../support/modelCardCheck';
import { useChurnServingFolder } from '../support/churnServingFolder';

// The agent's load_test in a folder's toolset (as `ml-engineer ask` and the MCP server run it)
// against the scikit-learn app serve_locally writes for examples/models/churn_pipeline.joblib, run
// by Debian's python3-uvicorn + python3-fastapi: the worker thread's numbers, errors by kind from the
// app's own 422s, the count and time bounds, and the record write_model_card reads.

const PYTHON = '/usr/bin/python3';
const APP = join('deploy', 'churn_pipeline-fastapi');

describe('load_test: the agent\'s load test of a real uvicorn server', function () {
  this.timeout(120_000);
  const f = useChurnServingFolder('mle-loadtest-', (ws) => {
    mkdirSync(join(ws, 'data'));
    const rows = Array.from({ length: 30 }, (_, i) => `${(i % 70) + 1},${(40 + i).toFixed(2)},${i % 5},${i % 3}`);
    // Every third row has a charge the model cannot read: the app answers 422 for its request.
    writeFileSync(join(ws, 'data', 'mixed.csv'), ['tenure_months,monthly_charges,support_calls,contract_years', ...rows.map((r, i) => (i % 3 === 2 ? r.replace(/,[\d.]+,/, ',lots,') : r))].join('\n') + '\n');
    writeFileSync(join(ws, 'data', 'clean.csv'), ['tenure_months,monthly_charges,support_calls,contract_years', ...rows].join('\n') + '\n');
  });

  it('asks first as send_requests does (execute), saying what it sends and where the result is kept', async () => {
    assert.equal(f.tool('load_test').risk, f.tool('send_requests').risk);
    assert.equal(f.tool('load_test').risk, 'execute');
    assert.equal(f.tool('load_test').confirmation!({ requests: 500, concurrency: 8 }), "Load test the local model server: 500 requests, 8 at a time, at most 30 s, with its sample request (its model predicts each; the result is saved in the app's logs/load_tests.jsonl)");
    await assert.rejects(f.call('load_test', {}), /No model server is running: start one with serve_locally/);
  });

  it('N requests at concurrency C with the sample request: throughput, percentiles, the runtime, a record of the model file\'s version', async () => {
    const served = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    const url = /at (http:\/\/127\.0\.0\.1:\d+) /.exec(served.content)![1]!;
    const result = await f.call('load_test', { requests: 60, concurrency: 3 });
    assert.equal(result.isError, undefined, result.content);
    assert.match(result.content, new RegExp(`^# Load test of ${url}/predict$`, 'm'));
    assert.match(result.content, /^60 requests, 3 in flight; all requests answered after [\d.]+ s\.$/m);
    assert.match(result.content, /^\| throughput \| [\d.,]+ requests\/s \|$/m);
    assert.match(result.content, /^\| ok \| 60 \|$/m);
    assert.match(result.content, /^\| errors \| none \|$/m);
    for (const row of ['mean', 'p50', 'p95', 'p99']) assert.match(result.content, new RegExp(`^\\| ${row} \\| [\\d.]+ ms \\|$`, 'm'));
    assert.match(result.content, /^Body: the app's sample request, in every request\.$/m);
    assert.match(result.content, new RegExp(`^Runtime: uvicorn with ${PYTHON}, serving deploy/churn_pipeline-fastapi/app\\.py on 127\\.0\\.0\\.1;`, 'm'));
    assert.match(result.content, /^Saved in deploy\/churn_pipeline-fastapi\/logs\/load_tests\.jsonl /m);
    assert.match(result.summary, /^60\/60 ok, p95 [\d.]+ ms$/);

    const records = await readRecords(join(f.ws, APP, 'logs', 'load_tests.jsonl'));
    assert.equal(records.length, 1);
    assert.deepEqual(records[0]!.models.map((m) => m.file), ['model/churn_pipeline.joblib']);
    assert.equal(records[0]!.models[0]!.sha256, await sha256File(join(f.ws, 'models', 'churn_pipeline.joblib')), 'the served copy is the workspace file\'s version');
    assert.ok(result.content.startsWith(records[0]!.text), 'the record holds the lines the tool answered');
    // The server by its URL; the app's request log has the rows (the answer says so).
    const byUrl = await f.call('load_test', { server: url, requests: 10, concurrency: 2 });
    assert.match(byUrl.content, /^\| ok \| 10 \|$/m);
    assert.match(byUrl.content, /request log \(deploy\/churn_pipeline-fastapi\/logs\/requests\.jsonl\) now also holds the 10 answered requests' rows/);
    await assert.rejects(f.call('load_test', { server: 'other' }), /No running server "other"; running: churn_pipeline-fastapi \(http/);
  });

  it('a data file\'s rows as bodies: errors by kind from the app\'s 422s', async () => {
    const result = await f.call('load_test', { data: 'data/mixed.csv', requests: 30, concurrency: 3 });
    assert.match(result.content, /^\| ok \| 20 \|$/m);
    assert.match(result.content, /^\| errors \| 10 × HTTP 422 \|$/m);
    assert.match(result.content, /^Body: the first 30 of the 30 rows of data\/mixed\.csv, 1 per request, in turn\.$/m);
    const batched = await f.call('load_test', { data: 'data/mixed.csv', rows_per_request: 2, max_rows: 4, requests: 8 });
    // Rows 0-1 fine, rows 2-3 hold a bad charge: every second request is refused.
    assert.match(batched.content, /^\| ok \| 4 \|$/m);
    assert.match(batched.content, /^\| errors \| 4 × HTTP 422 \|$/m);
    await assert.rejects(f.call('load_test', { data: 'data/none.csv' }), /data\/none\.csv does not exist/);
  });

  it('bounded in time: stops at duration_seconds with what it measured', async () => {
    const result = await f.call('load_test', { requests: 20_000, concurrency: 2, duration_seconds: 1 });
    assert.match(result.content, /^\d+ requests, 2 in flight; stopped at the time limit after [\d.]+ s\.$/m);
    const sent = Number(/^(\d+) requests, /m.exec(result.content)![1]);
    assert.ok(sent > 0 && sent < 20_000, `${sent} sent`);
  });

  it('the request log marks the load tests\' rows (its header), and drift leaves them out unless asked', async () => {
    const sent = await f.call('send_requests', { data: 'data/clean.csv', batch_size: 5 });
    assert.match(sent.content, /^Sent 30 of the 30 rows /m);
    const log = join(f.ws, APP, 'logs', 'requests.jsonl');
    const rows = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const bySource = new Map<unknown, number>();
    for (const r of rows) bySource.set(r.__source, (bySource.get(r.__source) ?? 0) + 1);
    const loadTests = bySource.get('load_test') ?? 0;
    assert.equal(bySource.get('request'), 30, 'send_requests is traffic');
    assert.ok(loadTests >= 60 + 10 + 20 + 4 * 2, `${loadTests} load-test rows`);
    assert.equal(rows.length, loadTests + 30, 'every row says who sent it');
    const drift = await f.call('detect_drift', { reference: 'data/clean.csv', current: `${APP}/logs/requests.jsonl` });
    assert.match(drift.content, new RegExp(`^Reference 30 rows, current 30 rows\\. Load-test rows left out: ${loadTests} of the current data \\(requests the load tester sent, not traffic\\)\\.$`, 'm'));
    assert.match(drift.content, /^No dataset drift: 0 of 4 columns drifted/m, 'the same rows as the reference once the load tests are out');
    const engine = new DataEngine();
    try {
      const kept = await detectFileDrift(engine, join(f.ws, 'data', 'clean.csv'), log, { includeLoadTest: true }, new AbortController().signal);
      assert.equal(kept.currentRows, rows.length);
      assert.equal(kept.loadTestRows, undefined);
    } finally {
      await engine.close();
    }
  });

  it('write_model_card on the pickle cites the served latency of its latest load test, every number footnoted', async () => {
    const written = await f.call('write_model_card', { model: 'models/churn_pipeline.joblib' });
    assert.match(written.content, /^Wrote models\/MODEL_CARD\.md: \d+ sourced facts\./);
    const card = parseCard(readFileSync(join(f.ws, 'models', 'MODEL_CARD.md'), 'utf8'));
    assertEveryNumberSourced(card);
    const sha = await sha256File(join(f.ws, 'models', 'churn_pipeline.joblib'));
    const cited = [...card.footnotes.values()].filter((f) => f.title.startsWith('load_test '));
    assert.ok(cited.length >= 7, `${cited.length} load test footnotes`);
    for (const note of cited) assertLoadTestQuote(f.ws, sha, note.title, note.quote);
    const size = card.section('Size and latency').join('\n');
    for (const label of ['Load test', 'Served throughput', 'Served latency mean', 'Served latency p50', 'Served latency p95', 'Served latency p99', 'Served errors']) assert.match(size, new RegExp(`^- ${label}: .+\\[\\^\\d+\\]$`, 'm'));
    assert.match(size, /^- Served latency p95: [\d.]+ ms\[\^\d+\]$/m);
    assert.match(size, new RegExp(`^- Served by: uvicorn with ${PYTHON}, serving deploy/churn_pipeline-fastapi/app\\.py`, 'm'));
    assert.ok(!card.notFound.some((m) => m.startsWith('latency:')), card.notFound.join('\n'));
    assert.match(card.section('Limitations').join('\n'), /Served latency is a round trip over loopback/);
  });

  it('write_model_card finds the latest load test of the file as it is now, and none once the file changed', async () => {
    const model = join(f.ws, 'models', 'churn_pipeline.joblib');
    const found = await latestLoadTestOf(model, [f.ws]);
    assert.ok(found);
    assert.equal(found.appDir, join(f.ws, APP));
    const records = await readRecords(join(f.ws, APP, 'logs', 'load_tests.jsonl'));
    assert.equal(found.record.at, records.map((r) => r.at).sort().at(-1));
    // Another version of the model (retrained): the old load test is not its latency.
    writeFileSync(model, Buffer.concat([readFileSync(model), Buffer.from('\n')]));
    assert.equal(await latestLoadTestOf(model, [f.ws]), undefined);
  });
});
