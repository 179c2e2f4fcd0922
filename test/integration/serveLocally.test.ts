import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { loadTestInWorker } from '../../src/serving/loadTestInWorker';
import { loadTestLine } from '../../src/serving/loadTestReport';
import { LocalModelServer } from '../../src/serving/localServer';
import { REQUEST_LOG_FLUSH_SECONDS } from '../../src/serving/requestLogText';
import { planServeApp } from '../../src/serving/servePlan';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { detectDrift } from '../../src/monitoring/driftScan';
import { buildWorker } from '../support/buildWorker';
import { eventually } from '../support/eventually';

// Serve Locally for real: the app written for examples/models/churn_pipeline.joblib (a scikit-learn
// pipeline) run by Debian's python3-uvicorn + python3-fastapi on 127.0.0.1 with a token; the ONNX app
// (Deploy's scaffold) with test/support/onnxruntime_standin (Debian has no onnxruntime for Python);
// failures said in words; a load test from the worker thread against the live server.

const PYTHON = '/usr/bin/python3';
const CHURN = join(__dirname, '..', '..', 'examples', 'models', 'churn_pipeline.joblib');
const STANDIN = join(__dirname, '..', 'support', 'onnxruntime_standin');
const WORKER = buildWorker(join(__dirname, '..', '..', 'src', 'serving', 'lazy', 'loadTestWorker.ts'));
const ROW = { tenure_months: 12, monthly_charges: 70.5, support_calls: 2, contract_years: 1 };

describe('Serve Locally: a real uvicorn on loopback', function () {
  this.timeout(120_000);
  let dir: string;
  let server: LocalModelServer | undefined;
  const lines: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-serve-'));
    const plan = planServeApp(inspectModel(CHURN), CHURN);
    writeDeployment(plan, join(dir, 'churn'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the scikit-learn pipeline: health, a prediction with the token, 401 without it, 422 for a malformed request, the request log', async () => {
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', onLine: (l) => lines.push(l) });
    assert.equal(server.state, 'running');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const meta = JSON.parse((await server.call('/metadata')).body) as { features: string[]; classes: string[] };
    assert.deepEqual(meta.features, ['tenure_months', 'monthly_charges', 'support_calls', 'contract_years']);
    const answer = await server.call('/predict', JSON.stringify({ instances: [ROW, { ...ROW, tenure_months: 70, contract_years: 2 }] }));
    assert.equal(answer.status, 200, answer.body);
    const predictions = (JSON.parse(answer.body) as { predictions: string[] }).predictions;
    assert.equal(predictions.length, 2);
    for (const p of predictions) assert.ok(meta.classes.includes(p));
    // The same rows predicted by scikit-learn itself.
    const { execFileSync } = await import('node:child_process');
    const expected = execFileSync(PYTHON, ['-c', 'import sys, json, joblib, pandas as pd; m = joblib.load(sys.argv[1]); rows = json.loads(sys.argv[2]); print(json.dumps(m.predict(pd.DataFrame(rows)).tolist()))', CHURN, JSON.stringify([ROW, { ...ROW, tenure_months: 70, contract_years: 2 }])], { encoding: 'utf8' });
    assert.deepEqual(predictions, JSON.parse(expected));

    const unauthorised = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [ROW] }) });
    assert.equal(unauthorised.status, 401);
    const missing = await server.call('/predict', JSON.stringify({ instances: [{ tenure_months: 1 }] }));
    assert.equal(missing.status, 422);
    assert.match(missing.body, /missing features/);
    assert.equal((await server.call('/predict', '{"instances": 5}')).status, 422);
    assert.equal((await server.call('/predict', JSON.stringify({ instances: [{ ...ROW, monthly_charges: 'lots' }] }))).status, 422);

    // The log's thread writes what requests queued every REQUEST_LOG_FLUSH_SECONDS: time for a refused
    // request's row to show (it must not), then the rows waited for (a loaded machine writes later).
    await new Promise((r) => setTimeout(r, REQUEST_LOG_FLUSH_SECONDS * 1000 + 800));
    const readLog = (): Record<string, unknown>[] => readFileSync(join(dir, 'churn', 'logs', 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const log = await eventually('the predicted rows in the request log', readLog, (rows) => rows.length >= 2, { timeoutMs: 10_000 });
    assert.equal(log.length, 2, 'one line per predicted row, none for refused requests');
    assert.equal(log[0]!.tenure_months, 12);
    assert.equal(log[0]!.__prediction, predictions[0]);
    assert.ok(typeof log[0]!.__latency_ms === 'number');
    // The server counts what it answered on /predict from uvicorn's access lines, which arrive on its output after the answers.
    const counts = await eventually('the access lines of the 5 requests', () => ({ requests: server!.requests, errors: server!.errors }), (c) => c.requests >= 5 && c.errors >= 4, { timeoutMs: 10_000 });
    assert.ok(counts.requests >= 5, `requests ${counts.requests}`);
    assert.ok(counts.errors >= 4, `errors ${counts.errors}`);
    const pid = server.pid!;
    await server.stop();
    assert.equal(server.state, 'stopped');
    assert.throws(() => process.kill(pid, 0), 'the server process is gone after stop');
  });

  it('stops on its own when the process that started it is killed (an extension host that crashed)', async () => {
    // A host process of its own (tsx), killed with SIGKILL: no stop() ever runs, no exit handler.
    const { spawn } = await import('node:child_process');
    const script = [
      `const { LocalModelServer } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'serving', 'localServer.ts'))});`,
      `LocalModelServer.start({ python: ${JSON.stringify(PYTHON)}, appDir: ${JSON.stringify(join(dir, 'churn'))}, module: 'app' })`,
      `  .then((s) => console.log('URL ' + s.url), (e) => { console.error(e); process.exit(1); });`,
    ].join('\n');
    const host = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      host.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /URL (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      host.once('exit', (code) => reject(new Error(`the host exited (${code}) before the server was up`)));
    });
    assert.equal((await fetch(`${url}/health`)).status, 200);
    host.kill('SIGKILL');
    let gone = false;
    for (let i = 0; i < 60 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 250));
      gone = await fetch(`${url}/health`).then(() => false, () => true);
    }
    assert.ok(gone, 'the server still answers 15 s after its host was killed');
  });

  it('the request log rotates at MODEL_REQUEST_LOG_BYTES and is off with MODEL_REQUEST_LOG=off', async () => {
    const logFile = join(dir, 'rotating', 'requests.jsonl');
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', env: { MODEL_REQUEST_LOG: logFile, MODEL_REQUEST_LOG_BYTES: '2000', MODEL_REQUEST_LOG_FILES: '2' } });
    for (let i = 0; i < 30; i++) assert.equal((await server.call('/predict', JSON.stringify({ instances: [ROW, ROW] }))).status, 200);
    await new Promise((r) => setTimeout(r, REQUEST_LOG_FLUSH_SECONDS * 1000 + 800));
    await eventually('the log rotated twice', () => existsSync(`${logFile}.1`) && existsSync(`${logFile}.2`), (rotated) => rotated, { timeoutMs: 10_000 });
    assert.ok(!existsSync(`${logFile}.3`), 'at most MODEL_REQUEST_LOG_FILES old files');
    assert.ok(readFileSync(logFile).length <= 2000);
    await server.stop();
    const off = join(dir, 'off', 'requests.jsonl');
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', env: { MODEL_REQUEST_LOG: 'off' } });
    assert.equal((await server.call('/predict', JSON.stringify({ instances: [ROW] }))).status, 200);
    assert.ok(!existsSync(off));
  });

  it("the view's latency covers a plain HTTP client's requests, from the request log; round trips where the log is off", async () => {
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.token}` };
    // Not our sender: fetch, as the user's curl or app would; one request of 5 rows, two of 1.
    for (const instances of [[ROW, ROW, ROW, ROW, ROW], [ROW], [ROW]]) assert.equal((await fetch(`${server.url}/predict`, { method: 'POST', headers, body: JSON.stringify({ instances }) })).status, 200);
    assert.equal(server.latency.count, 0, 'no round trip of ours');
    // The access lines schedule a read once the rows are flushed; wait for it (the view's timer reads too).
    for (let i = 0; i < 50 && server.servedLatency().window.count < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const seen = server.servedLatency();
    assert.equal(seen.window.count, 3, 'a request per request, not per row');
    assert.match(seen.source, /every client's, from .*logs\/requests\.jsonl/);
    assert.match(seen.window.text(), /^p50 [\d.]+ ms · p95 [\d.]+ ms \(3 requests\)$/);
    await server.stop();
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', env: { MODEL_REQUEST_LOG: 'off' } });
    assert.equal((await server.call('/predict', JSON.stringify({ instances: [ROW] }))).status, 200);
    assert.equal(server.servedLatency().window.count, 1);
    assert.match(server.servedLatency().source, /round trips .* \(the request log is off\)/);
  });

  it('a load test from the worker thread: N requests at concurrency C, percentiles, errors by kind', async () => {
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', env: { MODEL_REQUEST_LOG: 'off' } });
    const good = JSON.stringify({ instances: [ROW] });
    const bad = JSON.stringify({ instances: [{ tenure_months: 1 }] });
    let progress = 0;
    const result = await loadTestInWorker(WORKER, { url: `${server.url}/predict`, token: server.token, bodies: [good, good, good, bad], concurrency: 4, requests: 200, durationMs: 60_000 }, undefined, () => progress++);
    assert.equal(result.sent, 200);
    assert.equal(result.ok, 150);
    assert.deepEqual(result.errors, { 'HTTP 422': 50 });
    assert.equal(result.stop, 'count');
    assert.ok(result.latency && result.latency.p50Ms > 0 && result.latency.p50Ms <= result.latency.p95Ms && result.latency.p95Ms <= result.latency.maxMs);
    assert.ok(result.throughput > 0);
    assert.match(loadTestLine(result), /^150\/200 ok at concurrency 4: .* requests\/s; mean .* ms, p50 .*; errors: 50 × HTTP 422$/);
    // Bounded in time: a duration far shorter than the requests need stops on time.
    const timed = await loadTestInWorker(WORKER, { url: `${server.url}/predict`, token: server.token, bodies: [good], concurrency: 2, requests: 1_000_000, durationMs: 1000 });
    assert.equal(timed.stop, 'time');
    assert.ok(timed.wallMs < 5000 && timed.sent < 1_000_000);
    // Cancelled: stops sending, returns what was measured.
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const cancelled = await loadTestInWorker(WORKER, { url: `${server.url}/predict`, token: server.token, bodies: [good], concurrency: 2, requests: 1_000_000, durationMs: 60_000 }, controller.signal);
    assert.equal(cancelled.stop, 'cancelled');
    assert.ok(cancelled.ok > 0 && cancelled.wallMs < 5000);
    // Without the token every request is refused: said as errors, not latencies.
    const refused = await loadTestInWorker(WORKER, { url: `${server.url}/predict`, bodies: [good], concurrency: 2, requests: 10, durationMs: 10_000 });
    assert.deepEqual(refused.errors, { 'HTTP 401': 10 });
    assert.equal(refused.latency, undefined);
    void progress;
  });

  it('a port in use, a missing package and an app that does not import are said in words', async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
    try {
      await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', port }), (e: Error) => e.message.includes(`Port ${port} on 127.0.0.1 is in use`));
    } finally {
      busy.close();
    }
    const needs = join(dir, 'needs');
    mkdirSync(needs);
    writeFileSync(join(needs, 'app.py'), 'import sklearn\nimport no_such_package_xyz\n');
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir: needs, module: 'app' }), (e: Error) => e.message.includes('needs the Python package "no_such_package_xyz"') && e.message.includes('/usr/bin/python3 -m pip install no_such_package_xyz'));
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'app.py'), 'raise RuntimeError("the model file is missing")\n');
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir: broken, module: 'app' }), (e: Error) => e.message.includes('RuntimeError: the model file is missing'));
    const noApp = join(dir, 'noapp');
    mkdirSync(noApp);
    writeFileSync(join(noApp, 'app.py'), 'x = 1\n');
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir: noApp, module: 'app' }), (e: Error) => e.message.includes('must define `app = FastAPI(...)`'));
  });

  it("serves Deploy's ONNX app (onnxruntime stand-in) with its sample request", async () => {
    const { execFileSync } = await import('node:child_process');
    const model = join(dir, 'add.onnx');
    execFileSync(PYTHON, ['-c', 'import sys\nfrom onnx import helper, numpy_helper, TensorProto\nimport numpy as np\nk = numpy_helper.from_array(np.array([1, 2, 3, 4], dtype=np.float32), "k")\nio = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4])\ng = helper.make_graph([helper.make_node("Add", ["x", "k"], ["y"])], "g", [io("x")], [io("y")], initializer=[k])\nm = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])\nm.ir_version = 8\nopen(sys.argv[1], "wb").write(m.SerializeToString())', model]);
    writeDeployment(planServeApp(inspectModel(model), model), join(dir, 'add'));
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'add'), module: 'app', env: { PYTHONPATH: STANDIN, PYTHONDONTWRITEBYTECODE: '1' } });
    const answer = await server.call('/predict', readFileSync(join(dir, 'add', 'sample_request.json'), 'utf8'));
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { outputs: { y: [[1, 2, 3, 4]] } });
  });

  it("drift on the served app's request log: shifted traffic is found, traffic like the reference is not", async () => {
    // Reference: 600 rows like the training data; traffic: 300 rows, like it or shifted (longer tenure, more calls).
    // mulberry32: a seeded generator whose streams for different seeds are independent.
    const rng = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const rows = (n: number, seed: number, shift: boolean) => {
      const r = rng(seed);
      return Array.from({ length: n }, () => ({ tenure_months: Math.floor(r() * 71) + 1 + (shift ? 30 : 0), monthly_charges: Math.round((40 + r() * 50) * 100) / 100, support_calls: Math.floor(r() * 4) + (shift ? 3 : 0), contract_years: Math.floor(r() * 3) }));
    };
    const reference = join(dir, 'reference.csv');
    writeFileSync(reference, ['tenure_months,monthly_charges,support_calls,contract_years', ...rows(600, 1, false).map((x) => Object.values(x).join(','))].join('\n') + '\n');
    const engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    try {
      for (const shift of [false, true]) {
        const log = join(dir, `traffic_${shift}`, 'requests.jsonl');
        server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', env: { MODEL_REQUEST_LOG: log } });
        const traffic = rows(300, shift ? 3 : 2, shift);
        for (let i = 0; i < traffic.length; i += 50) assert.equal((await server.call('/predict', JSON.stringify({ instances: traffic.slice(i, i + 50) }))).status, 200);
        await server.stop();
        const result = await detectDrift(new FileDatasetSource(reference, engine), new FileDatasetSource(log, engine), {}, new AbortController().signal);
        assert.deepEqual(result.columns.map((c) => c.column).sort(), ['contract_years', 'monthly_charges', 'support_calls', 'tenure_months'], 'the log\'s __ columns are not in the reference');
        const drifted = result.columns.filter((c) => c.drifted).map((c) => c.column).sort();
        if (shift) assert.deepEqual(drifted, ['support_calls', 'tenure_months']);
        else assert.deepEqual(drifted, []);
        assert.equal(result.datasetDrift, shift);
      }
    } finally {
      await engine.close();
    }
  });
});
