import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDeployment, writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { servingApp } from '../../src/models/codeActions/modelSnippets';
import { DataEngine } from '../../src/data/engine/engineClient';
import { detectFileDrift } from '../../src/monitoring/driftScan';
import { eventuallyMatches } from '../support/eventually';

// The FastAPI app Deploy writes, run for real: Debian's python3-fastapi and python3-uvicorn
// (scripts/ensure-prerequisites.sh) on 127.0.0.1, talked to over HTTP. Debian has no onnxruntime
// for Python, so test/support/onnxruntime_standin stands in for it (the real onnx loads the model;
// inputs are checked with onnxruntime's exception and message; the graph, y = x + k, runs in numpy).
// The app must: refuse bodies over its limit (413, by Content-Length and chunked), want the bearer
// token when MODEL_API_TOKEN is set (401) and answer with it (200, the right numbers), and keep a
// runtime error's message (which names the model's path) in its log, giving the client an id.

const PYTHON = '/usr/bin/python3';
const STANDIN = join(__dirname, '..', 'support', 'onnxruntime_standin');
const WRITE_MODEL = `
import sys
from onnx import helper, numpy_helper, TensorProto
import numpy as np
k = numpy_helper.from_array(np.array([1, 2, 3, 4], dtype=np.float32), "k")
io = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4])
graph = helper.make_graph([helper.make_node("Add", ["x", "k"], ["y"])], "add_k", [io("x")], [io("y")], initializer=[k])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
open(sys.argv[1], "wb").write(model.SerializeToString())
`;

interface Served {
  readonly url: string;
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function serve(dir: string, module: string, env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(PYTHON, ['-m', 'uvicorn', `${module}:app`, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    env: { ...process.env, PYTHONPATH: STANDIN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('Application startup complete')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`uvicorn did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A POST whose body arrives in chunks without a Content-Length (Transfer-Encoding: chunked). */
function postChunked(url: string, chunks: readonly string[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('The generated FastAPI app, served by uvicorn', function () {
  this.timeout(120_000);
  let dir: string;
  let served: Served | undefined;
  const TOKEN = 'test-token-0123456789';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-serve-'));
    const model = join(dir, 'add_k.onnx');
    execFileSync(PYTHON, ['-c', WRITE_MODEL, model]);
    writeDeployment(planDeployment(inspectModel(model), model, 'fastapi'), join(dir, 'app'));
  });
  afterEach(async () => {
    await served?.stop();
    served = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const predict = (body: unknown, token?: string): Promise<Response> =>
    fetch(`${served!.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

  it('with MODEL_API_TOKEN: 401 without or with a wrong token, 200 and the right numbers with it; /health stays open', async () => {
    served = await serve(join(dir, 'app'), 'app', { MODEL_API_TOKEN: TOKEN });
    const x = { inputs: { x: [[0, 0, 0, 0], [10, 20, 30, 40]] } };
    const without = await predict(x);
    assert.equal(without.status, 401);
    assert.equal(without.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await predict(x, 'wrong')).status, 401);
    assert.equal((await fetch(`${served.url}/metadata`)).status, 401);
    const ok = await predict(x, TOKEN);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { outputs: { y: [[1, 2, 3, 4], [11, 22, 33, 44]] } });
    assert.deepEqual(await (await fetch(`${served.url}/health`)).json(), { status: 'ok' });
    const metadata = await fetch(`${served.url}/metadata`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(await metadata.json(), { model: 'add_k.onnx', inputs: { x: '[batch, 4]' }, outputs: ['y'] });
  });

  it('413 for a body over MAX_REQUEST_BYTES, whether it gives its length or streams in chunks', async () => {
    served = await serve(join(dir, 'app'), 'app', { MAX_REQUEST_BYTES: '4096' });
    const rows = Array.from({ length: 1000 }, () => [1.5, 2.5, 3.5, 4.5]);
    const big = await predict({ inputs: { x: rows } });
    assert.equal(big.status, 413);
    assert.match(JSON.stringify(await big.json()), /over 4096 bytes/);
    const text = JSON.stringify({ inputs: { x: rows } });
    const chunked = await postChunked(`${served.url}/predict`, text.match(/.{1,1000}/g)!, {});
    assert.equal(chunked.status, 413, chunked.body);
    // Without a token set, a small request needs none.
    assert.equal((await predict({ inputs: { x: [[1, 1, 1, 1]] } })).status, 200);
  });

  it('a runtime error is logged with an id; the client gets the id, not the runtime\'s message', async () => {
    served = await serve(join(dir, 'app'), 'app', { MODEL_API_TOKEN: TOKEN });
    const bad = await predict({ inputs: { x: [[1, 2, 3, 4, 5]] } }, TOKEN);
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { detail: { error: string; error_id: string } };
    assert.equal(body.detail.error, 'the model could not run on these inputs: check their shapes and dtypes');
    assert.match(body.detail.error_id, /^[0-9a-f]{12}$/);
    assert.doesNotMatch(JSON.stringify(body), /ONNXRuntimeError|INVALID_ARGUMENT|add_k\.onnx|\/tmp\//);
    // The app logs it before it answers, but its output reaches this process in its own time.
    await eventuallyMatches("the error's id in the app's log", () => served!.log(), new RegExp(`inference failed \\[${body.detail.error_id}\\][\\s\\S]*Got invalid dimensions for input: x`), 10_000);
    const notNumbers = await predict({ inputs: { x: [['a', 'b']] } }, TOKEN);
    assert.equal(notNumbers.status, 422);
    assert.doesNotMatch(await notNumbers.text(), /could not convert/);
  });

  it('the code action\'s serving app has the same guards', async () => {
    const app = servingApp('net', 'add_k.onnx');
    writeFileSync(join(dir, app.fileName), app.content);
    served = await serve(dir, app.fileName.replace(/\.py$/, ''), { MODEL_API_TOKEN: TOKEN, MAX_REQUEST_BYTES: '2048' });
    assert.equal((await predict({ inputs: { x: [[0, 0, 0, 0]] } })).status, 401);
    const ok = await predict({ inputs: { x: [[0, 0, 0, 1]] } }, TOKEN);
    assert.deepEqual(await ok.json(), { y: [[1, 2, 3, 5]] });
    assert.equal((await predict({ inputs: { x: Array.from({ length: 1000 }, () => [1, 2, 3, 4]) } }, TOKEN)).status, 413);
    const bad = await predict({ inputs: { x: [[1, 2]] } }, TOKEN);
    assert.equal(bad.status, 400);
    assert.doesNotMatch(await bad.text(), /ONNXRuntimeError|INVALID_ARGUMENT/);
  });

  it('logs each predicted row (features, the first output, latency) as JSON lines that drift reads', async () => {
    const log = join(dir, 'onnx-log', 'requests.jsonl');
    served = await serve(join(dir, 'app'), 'app', { MODEL_REQUEST_LOG: log });
    assert.equal((await predict({ inputs: { x: [[1, 2, 3, 4], [5, 6, 7, 8]] } })).status, 200);
    assert.equal((await predict({ inputs: { nope: [[1, 2, 3, 4]] } })).status, 422);
    await served.stop();
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2, 'one line per row; none for the refused request');
    assert.deepEqual({ ...lines[1], __ts: 0, __latency_ms: 0 }, { x_0: 5, x_1: 6, x_2: 7, x_3: 8, __ts: 0, __latency_ms: 0, __prediction: [6, 8, 10, 12], __source: 'request' });
    assert.ok(typeof lines[0]!.__latency_ms === 'number' && typeof lines[0]!.__ts === 'number');

    // Named as the training data's columns, the log is drift's current data: shifted traffic is found.
    const named = join(dir, 'onnx-named', 'requests.jsonl');
    served = await serve(join(dir, 'app'), 'app', { MODEL_REQUEST_LOG: named, MODEL_FEATURE_NAMES: 'a, b,c,d' });
    const rows = (shift: number): number[][] => Array.from({ length: 200 }, (_, i) => [(i % 20) + shift, (i % 7) * 2, (i % 5) + 0.5, i % 3]);
    for (let i = 0; i < 4; i++) assert.equal((await predict({ inputs: { x: rows(i < 2 ? 0 : 15).slice(i * 50, i * 50 + 50) } })).status, 200);
    await served.stop();
    const reference = join(dir, 'onnx-reference.csv');
    writeFileSync(reference, ['a,b,c,d', ...rows(0).map((r) => r.join(','))].join('\n') + '\n');
    const engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    try {
      const result = await detectFileDrift(engine, reference, named, {}, new AbortController().signal);
      assert.deepEqual(result.columns.map((c) => c.column).sort(), ['a', 'b', 'c', 'd']);
      assert.equal(result.currentRows, 200);
      assert.deepEqual(result.columns.filter((c) => c.drifted).map((c) => c.column), ['a']);
    } finally {
      await engine.close();
    }
    // The other tests served with the default log (app/logs/requests.jsonl); off adds nothing to it.
    const defaultLog = join(dir, 'app', 'logs', 'requests.jsonl');
    const size = (): number => (existsSync(defaultLog) ? readFileSync(defaultLog).length : 0);
    const before = size();
    served = await serve(join(dir, 'app'), 'app', { MODEL_REQUEST_LOG: 'off' });
    assert.equal((await predict({ inputs: { x: [[1, 2, 3, 4]] } })).status, 200);
    assert.equal(size(), before, 'off writes nothing');
  });

  it('the Dockerfile runs the server as an unprivileged user', () => {
    const dockerfile = readFileSync(join(dir, 'app', 'Dockerfile'), 'utf8').split('\n');
    const user = dockerfile.findIndex((l) => l.startsWith('USER '));
    assert.equal(dockerfile[user], 'USER 10001');
    assert.ok(user > dockerfile.findIndex((l) => l.startsWith('COPY . .')), 'after the files are copied (they stay root\'s)');
    assert.ok(user < dockerfile.findIndex((l) => l.startsWith('CMD ')));
    assert.match(dockerfile.join('\n'), /useradd --system --uid 10001/);
  });
});
